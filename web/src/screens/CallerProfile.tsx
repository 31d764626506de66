/**
 * A caller's profile (issue 17) on the customer page: what the agent hears when they call again (last intent, up to
 * three needs, language, open issue and the one-sentence guidance), built from their recent calls. Staff may correct
 * it (kept until the caller's next analysed call rebuilds it) or clear it (earlier calls stop counting); the server
 * audits both.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { useAction } from '../shared';
import { INTENTS, MAX_NEEDS, NEEDS } from '../../../src/shared/insight-labels';

export interface CallerProfileData {
  intentLast: string;
  needs: string[];
  language: string;
  openIssue: string;
  guidance: string;
  callsCounted: number;
  editedBy: string | null;
  editedAt: string | null;
  clearedAt: string | null;
}

const GUIDANCE_MAX = 240;
const words = (value: string) => value.replace(/_/g, ' ');

export function CallerProfile({
  customerId,
  profile,
  zone,
  onChange,
}: {
  customerId: number;
  profile: CallerProfileData | null;
  zone: string;
  onChange(): void;
}) {
  const [editing, setEditing] = useState(false);
  const [clearing, setClearing] = useState(false);
  const action = useAction();
  const empty = !profile || (!profile.guidance && profile.needs.length === 0 && !profile.intentLast && !profile.openIssue);

  async function clear() {
    if (await action.run(() => api('DELETE', `/v1/api/customers/${customerId}/profile`))) {
      setClearing(false);
      onChange();
    }
  }

  return (
    <section className="card" aria-labelledby="caller-profile-title">
      <h2 id="caller-profile-title">Caller profile</h2>
      <p className="hint">
        What the agent is told when this caller rings again, from their last calls. Correct it if it is wrong; it is rebuilt after their next call.
      </p>
      {empty ? (
        <div className="notice empty">
          {profile?.clearedAt
            ? `Cleared ${formatTime(profile.clearedAt, zone)}; only calls after that will count.`
            : 'No profile yet: it is built from analysed calls.'}
        </div>
      ) : (
        <dl className="facts" aria-label="Caller profile">
          <dt>Guidance for the agent</dt>
          <dd>{profile.guidance || '—'}</dd>
          <dt>Needs</dt>
          <dd>{profile.needs.length ? profile.needs.map(words).join(', ') : 'none noticed'}</dd>
          <dt>Last asked for</dt>
          <dd>{profile.intentLast ? words(profile.intentLast) : '—'}</dd>
          <dt>Language</dt>
          <dd>{profile.language || '—'}</dd>
          <dt>Open issue</dt>
          <dd>{profile.openIssue || '—'}</dd>
          <dt>Built from</dt>
          <dd>
            {profile.callsCounted} call(s){profile.editedBy && profile.editedAt ? `; edited by ${profile.editedBy}, ${formatTime(profile.editedAt, zone)}` : ''}
          </dd>
        </dl>
      )}
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
      {editing ? (
        <EditProfile
          customerId={customerId}
          profile={profile}
          onDone={(saved) => {
            setEditing(false);
            if (saved) onChange();
          }}
        />
      ) : (
        <div className="row">
          <button type="button" onClick={() => setEditing(true)}>
            Edit profile
          </button>
          {!empty && !clearing && (
            <button type="button" onClick={() => setClearing(true)}>
              Clear profile…
            </button>
          )}
          {clearing && (
            <span role="group" aria-label="Confirm clearing the profile">
              Clear it? The agent will no longer hear it, and earlier calls stop counting.{' '}
              <button type="button" className="danger" disabled={action.busy} onClick={clear}>
                Yes, clear the profile
              </button>{' '}
              <button type="button" onClick={() => setClearing(false)}>
                Keep it
              </button>
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function EditProfile({ customerId, profile, onDone }: { customerId: number; profile: CallerProfileData | null; onDone(saved: boolean): void }) {
  const [needs, setNeeds] = useState<string[]>(profile?.needs ?? []);
  const [guidance, setGuidance] = useState(profile?.guidance ?? '');
  const [intentLast, setIntentLast] = useState(profile?.intentLast ?? '');
  const [language, setLanguage] = useState(profile?.language ?? '');
  const [openIssue, setOpenIssue] = useState(profile?.openIssue ?? '');
  const action = useAction();

  const toggle = (need: string, on: boolean) => setNeeds((current) => (on ? [...current, need] : current.filter((item) => item !== need)));
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await action.run(() => api('PATCH', `/v1/api/customers/${customerId}/profile`, { needs, guidance, intentLast, language, openIssue }))) onDone(true);
  }
  return (
    <form className="grid" onSubmit={submit} aria-label="Edit caller profile">
      <fieldset className="wide offices">
        <legend>Needs (at most {MAX_NEEDS})</legend>
        {NEEDS.map((need) => (
          <label key={need} className="check">
            <input
              type="checkbox"
              checked={needs.includes(need)}
              disabled={!needs.includes(need) && needs.length >= MAX_NEEDS}
              onChange={(event) => toggle(need, event.target.checked)}
            />{' '}
            {words(need)}
          </label>
        ))}
      </fieldset>
      <label className="wide">
        Guidance for the agent
        <textarea rows={2} maxLength={GUIDANCE_MAX} value={guidance} onChange={(event) => setGuidance(event.target.value)} />
        <small>
          {guidance.length}/{GUIDANCE_MAX} characters; one plain sentence the agent can follow.
        </small>
      </label>
      <label>
        Last asked for
        <select value={intentLast} onChange={(event) => setIntentLast(event.target.value)}>
          <option value="">—</option>
          {INTENTS.map((intent) => (
            <option key={intent} value={intent}>
              {words(intent)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Language
        <select value={language} onChange={(event) => setLanguage(event.target.value)}>
          <option value="">—</option>
          <option value="en">English</option>
          <option value="es">Español (Spanish)</option>
        </select>
      </label>
      <label className="wide">
        Open issue
        <input maxLength={200} value={openIssue} onChange={(event) => setOpenIssue(event.target.value)} />
      </label>
      {action.error && (
        <div className="notice error wide" role="alert">
          {action.error}
        </div>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={action.busy}>
          Save profile
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
