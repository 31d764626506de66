import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { formatTime } from '../format';

interface Link {
  purpose: 'invite' | 'reset';
  email: string;
  role: 'admin' | 'staff';
  offices: Array<{ id: string; name: string }>;
  invitedBy: string;
  expiresAt: string;
}

const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The page an invitation or password-reset e-mail links to: choose a password, then straight into the dashboard. */
export function Invite({ token, onSignedIn }: { token: string; onSignedIn(): void }) {
  const [link, setLink] = useState<Link>();
  const [problem, setProblem] = useState<string>();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<Link>('GET', `/v1/api/invites/${encodeURIComponent(token)}`)
      .then(setLink)
      .catch((failure: Error) => setProblem(failure.message));
  }, [token]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!link) return;
    if (password !== repeat) {
      setError('The two passwords are not the same. Type the same password twice.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/v1/api/invites/accept', { token, password });
      await api('POST', '/v1/api/session', { email: link.email, password });
      onSignedIn();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (problem) {
    return (
      <main className="login">
        <div className="login-card">
          <h1>Switchboard</h1>
          <div className="notice error" role="alert">
            {problem}
          </div>
          <a href="/">Go to the sign-in page</a>
        </div>
      </main>
    );
  }
  if (!link)
    return (
      <div className="notice" aria-busy="true">
        Loading…
      </div>
    );
  const reset = link.purpose === 'reset';
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="invite-title">
        <h1 id="invite-title">{reset ? 'Choose a new password' : 'Welcome to Switchboard'}</h1>
        {reset ? (
          <p>
            Choose a new password for <strong>{link.email}</strong>. Every device signed in with the old one is signed out.
          </p>
        ) : (
          <p>
            {link.invitedBy} invited <strong>{link.email}</strong>{' '}
            {link.role === 'admin' ? 'as an admin, for every office' : <>for {link.offices.map((office) => office.name).join(', ')}</>}. Choose a password to
            finish.
          </p>
        )}
        <input type="email" autoComplete="username" value={link.email} readOnly hidden />
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            autoFocus
          />
        </label>
        <label>
          Password again
          <input type="password" autoComplete="new-password" required minLength={10} value={repeat} onChange={(event) => setRepeat(event.target.value)} />
        </label>
        <p className="zone-note">
          At least 10 characters; a few unrelated words are easy to remember and hard to guess. This link works once, until{' '}
          {formatTime(link.expiresAt, localZone)}.
        </p>
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : reset ? 'Save and sign in' : 'Create my account'}
        </button>
      </form>
    </main>
  );
}
