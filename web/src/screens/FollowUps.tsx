import { useState } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { ClientName, DataState, Link, ZoneNote, useAction, useApp, useData } from '../shared';

interface Callback {
  id: number;
  clientId: string;
  callId: string | null;
  name: string | null;
  phone: string | null;
  reason: string;
  preferredTime: string | null;
  /** What happened since the task was made (e.g. a late calendar event removed or kept). */
  note: string | null;
  notedAt: string | null;
  status: string;
  createdAt: string;
  completedAt: string | null;
  completedBy: string | null;
}

interface Inbound {
  id: number;
  clientId: string;
  from: string;
  body: string;
  intent: string;
  receivedAt: string;
}

const INTENT_WORDS: Record<string, string> = {
  stop: 'Opted out (STOP)',
  start: 'Opted back in',
  help: 'Asked for help',
  revocation: 'Asked us to stop texting',
  message: 'Message',
};

/** What staff owe callers: callbacks to make and texts that came in. */
export function FollowUps() {
  const app = useApp();
  const [show, setShow] = useState('open');
  const callbacks = useData<{ callbacks: Callback[] }>(`/v1/api/callbacks${query({ client: app.clientId, state: show })}`, ['callback.']);
  const inbound = useData<{ messages: Inbound[] }>(`/v1/api/inbound-messages${query({ client: app.clientId })}`, ['message.inbound', 'consent.']);
  const done = useAction();
  return (
    <section aria-labelledby="follow-ups-title">
      <header className="screen-header">
        <h1 id="follow-ups-title">Follow-ups</h1>
      </header>
      <ZoneNote />
      <h2>Callbacks to make</h2>
      <div className="filters">
        <label>
          Show
          <select value={show} onChange={(event) => setShow(event.target.value)}>
            <option value="open">To do</option>
            <option value="done">Done</option>
            <option value="all">All</option>
          </select>
        </label>
      </div>
      {done.error && (
        <div className="notice error" role="alert">
          {done.error}
        </div>
      )}
      <DataState
        state={callbacks}
        empty={show === 'open' ? 'No callbacks waiting. Nobody is expecting a call back.' : 'Nothing to show.'}
        isEmpty={(data) => data.callbacks.length === 0}
      >
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>Asked</th>
                <th>Who</th>
                <th>Why</th>
                <th>Best time</th>
                <th>Call</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.callbacks.map((callback) => (
                <tr key={callback.id} data-callback-id={callback.id}>
                  <td>{formatTime(callback.createdAt, app.zoneOf(callback.clientId))}</td>
                  <td>
                    {callback.name ?? 'Unknown caller'} {callback.phone && <span className="muted">{callback.phone}</span>}{' '}
                    <ClientName id={callback.clientId} />
                  </td>
                  <td>
                    {callback.reason}
                    {callback.note && (
                      <p className="callback-note">
                        <strong>Update{callback.notedAt ? ` ${formatTime(callback.notedAt, app.zoneOf(callback.clientId))}` : ''}:</strong> {callback.note}
                      </p>
                    )}
                  </td>
                  <td>{callback.preferredTime ?? '—'}</td>
                  <td>{callback.callId ? <Link to={`/calls/${callback.callId}`}>Open call</Link> : '—'}</td>
                  <td>
                    {callback.status === 'open' ? (
                      <button
                        disabled={done.busy}
                        onClick={async () => (await done.run(() => api('POST', `/v1/api/callbacks/${callback.id}/done`, {}))) && callbacks.reload()}
                      >
                        Mark called back
                      </button>
                    ) : (
                      <span className="muted">Done{callback.completedBy ? ` by ${callback.completedBy}` : ''}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <h2>Texts from callers</h2>
      <DataState state={inbound} empty="No texts have come in." isEmpty={(data) => data.messages.length === 0}>
        {(data) => (
          <ul className="cards" aria-label="Texts from callers">
            {data.messages.map((message) => (
              <li key={message.id} className="card inbound-message">
                <div className="card-title">
                  From {message.from} <ClientName id={message.clientId} />{' '}
                  <span className="muted">
                    {formatTime(message.receivedAt, app.zoneOf(message.clientId))} · {INTENT_WORDS[message.intent] ?? message.intent}
                  </span>
                </div>
                <p>{message.body}</p>
              </li>
            ))}
          </ul>
        )}
      </DataState>
    </section>
  );
}
