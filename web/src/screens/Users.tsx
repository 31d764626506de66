import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { DataState, useAction, useApp, useData, type Client } from '../shared';

interface User {
  id: number;
  email: string;
  role: 'admin' | 'staff';
  clientIds: string[];
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

interface Invite {
  id: number;
  purpose: 'invite' | 'reset';
  email: string;
  role: 'admin' | 'staff';
  clientIds: string[];
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

/** Account times are not tied to an office: this computer's zone. */
const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

function OfficeChoice({ clients, chosen, onChange, legend }: { clients: Client[]; chosen: string[]; onChange(ids: string[]): void; legend: string }) {
  return (
    <fieldset className="offices">
      <legend>{legend}</legend>
      {clients.map((client) => (
        <label key={client.id} className="check">
          <input
            type="checkbox"
            checked={chosen.includes(client.id)}
            onChange={(event) => onChange(event.target.checked ? [...chosen, client.id] : chosen.filter((id) => id !== client.id))}
          />
          {client.name}
        </label>
      ))}
    </fieldset>
  );
}

function InviteForm({ onSent }: { onSent(message: string): void }) {
  const app = useApp();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'staff' | 'admin'>('staff');
  const [offices, setOffices] = useState<string[]>(app.clientId ? [app.clientId] : []);
  const action = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const sent = await action.run(() => api('POST', '/v1/api/users/invite', { email, role, clientIds: role === 'staff' ? offices : [] }));
    if (sent) {
      onSent(`Invitation e-mailed to ${email.trim().toLowerCase()}. The link works once, for 72 hours.`);
      setEmail('');
    }
  }
  return (
    <form className="card invite-form" onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <div className="grid">
        <label>
          E-mail
          <input type="email" required value={email} onChange={(event) => setEmail(event.target.value)} placeholder="name@example.com" />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as 'staff' | 'admin')}>
            <option value="staff">Staff — sees the offices chosen below</option>
            <option value="admin">Admin — every office, users and settings</option>
          </select>
        </label>
      </div>
      {role === 'staff' && <OfficeChoice clients={app.clients} chosen={offices} onChange={setOffices} legend="Offices they see" />}
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Sending…' : 'Send invitation'}
        </button>
      </div>
    </form>
  );
}

function UserRow({ user, isSelf, onChanged }: { user: User; isSelf: boolean; onChanged(message: string): void }) {
  const app = useApp();
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState(user.role);
  const [offices, setOffices] = useState(user.clientIds);
  const action = useAction();
  const names = new Map(app.clients.map((client) => [client.id, client.name]));
  const change = (body: Record<string, unknown>, message: string) =>
    action
      .run(() => api('PATCH', `/v1/api/users/${user.id}`, body))
      .then((ok) => {
        if (ok) {
          setEditing(false);
          onChanged(message);
        }
      });
  return (
    <tr data-user-id={user.id} className={user.disabled ? 'disabled' : ''}>
      <td>
        {user.email}
        {isSelf && <span className="muted"> (you)</span>}
      </td>
      <td>
        {editing ? (
          <select aria-label={`Role of ${user.email}`} value={role} onChange={(event) => setRole(event.target.value as 'staff' | 'admin')}>
            <option value="staff">Staff</option>
            <option value="admin">Admin</option>
          </select>
        ) : user.role === 'admin' ? (
          'Admin'
        ) : (
          'Staff'
        )}
      </td>
      <td>
        {editing && role === 'staff' ? (
          <OfficeChoice clients={app.clients} chosen={offices} onChange={setOffices} legend={`Offices of ${user.email}`} />
        ) : user.role === 'admin' ? (
          <span className="muted">Every office</span>
        ) : (
          user.clientIds.map((id) => names.get(id) ?? id).join(', ')
        )}
      </td>
      <td>{user.disabled ? <span className="status status-cancelled">Disabled</span> : <span className="status status-ok">Active</span>}</td>
      <td>
        <div className="actions">
          {editing ? (
            <>
              <button
                className="primary"
                disabled={action.busy}
                onClick={() => change({ role, ...(role === 'staff' ? { clientIds: offices } : {}) }, `Saved ${user.email}.`)}
              >
                Save
              </button>
              <button
                disabled={action.busy}
                onClick={() => {
                  setEditing(false);
                  setRole(user.role);
                  setOffices(user.clientIds);
                }}
              >
                Cancel
              </button>
            </>
          ) : (
            <>
              <button disabled={action.busy} onClick={() => setEditing(true)}>
                Change role or offices
              </button>
              {!user.disabled && (
                <button
                  disabled={action.busy}
                  onClick={() =>
                    action
                      .run(() => api('POST', `/v1/api/users/${user.id}/reset-password`, {}))
                      .then((ok) => ok && onChanged(`A password-reset link was e-mailed to ${user.email}.`))
                  }
                >
                  Reset password
                </button>
              )}
              {user.disabled ? (
                <button disabled={action.busy} onClick={() => change({ disabled: false }, `${user.email} can sign in again.`)}>
                  Enable
                </button>
              ) : (
                !isSelf && (
                  <button disabled={action.busy} onClick={() => change({ disabled: true }, `${user.email} is disabled and was signed out everywhere.`)}>
                    Disable
                  </button>
                )
              )}
            </>
          )}
        </div>
        {action.error && (
          <div className="notice error" role="alert">
            {action.error}
          </div>
        )}
      </td>
    </tr>
  );
}

/** Admins: who can use the dashboard, invitations by e-mail, roles, offices, disabling and password resets. */
export function Users() {
  const app = useApp();
  const state = useData<{ users: User[]; invites: Invite[] }>('/v1/api/users');
  const [done, setDone] = useState<string>();
  const withdraw = useAction();
  const names = new Map(app.clients.map((client) => [client.id, client.name]));
  const changed = (message: string) => {
    setDone(message);
    state.reload();
  };
  if (app.user.role !== 'admin')
    return (
      <div className="notice" role="alert">
        Only an admin can manage users.
      </div>
    );
  return (
    <section aria-labelledby="users-title">
      <header className="screen-header">
        <h1 id="users-title">Users</h1>
      </header>
      <p>Who can sign in to this dashboard. Staff see only their offices; admins see every office and manage users. Every change is recorded in Activity.</p>
      {done && (
        <div className="notice" role="status">
          {done}
        </div>
      )}
      <InviteForm onSent={changed} />
      <DataState state={state} empty="No users yet." isEmpty={(data) => data.users.length === 0 && data.invites.length === 0}>
        {(data) => (
          <>
            {data.invites.length > 0 && (
              <>
                <h2>Waiting for a password</h2>
                {withdraw.error && (
                  <div className="notice error" role="alert">
                    {withdraw.error}
                  </div>
                )}
                <table className="invites">
                  <thead>
                    <tr>
                      <th>E-mail</th>
                      <th>For</th>
                      <th>Sent by</th>
                      <th>Link works until</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.invites.map((invite) => (
                      <tr key={invite.id} data-invite-id={invite.id}>
                        <td>{invite.email}</td>
                        <td>
                          {invite.purpose === 'reset'
                            ? 'New password'
                            : invite.role === 'admin'
                              ? 'Admin, every office'
                              : `Staff, ${invite.clientIds.map((id) => names.get(id) ?? id).join(', ')}`}
                        </td>
                        <td>{invite.invitedBy}</td>
                        <td>
                          {invite.expired ? <span className="status status-cancelled">Expired — send again</span> : formatTime(invite.expiresAt, localZone)}
                        </td>
                        <td>
                          <button
                            disabled={withdraw.busy}
                            onClick={() =>
                              withdraw
                                .run(() => api('POST', `/v1/api/users/invites/${invite.id}/revoke`, {}))
                                .then((ok) => ok && changed(`The link for ${invite.email} no longer works.`))
                            }
                          >
                            Withdraw
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
            <h2>People</h2>
            <table className="users">
              <thead>
                <tr>
                  <th>E-mail</th>
                  <th>Role</th>
                  <th>Offices</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.users.map((user) => (
                  <UserRow key={`${user.id}:${user.role}:${user.clientIds.join(',')}`} user={user} isSelf={user.id === app.user.id} onChanged={changed} />
                ))}
              </tbody>
            </table>
            <p className="zone-note">Times shown in this computer's time zone ({localZone}).</p>
          </>
        )}
      </DataState>
    </section>
  );
}
