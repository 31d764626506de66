import { api, query } from '../api';
import { formatTime } from '../format';
import { ClientName, DataState, Link, ZoneNote, useAction, useApp, useData } from '../shared';

interface Item {
  id: number;
  clientId: string;
  kind: string;
  lastError: string | null;
  attempts: number;
  updatedAt: string;
  callId: string | null;
}

const KIND_WORDS: Record<string, string> = {
  crm_sync: 'CRM update',
  alert_slack: 'Slack alert',
  alert_email: 'Alert e-mail',
  booking_calendar_sync: 'Calendar update',
  user_invite_email: 'Dashboard invitation or password-reset e-mail',
};

export function DeadLetters() {
  const app = useApp();
  const state = useData<{ items: Item[] }>(`/v1/api/dead-letters${query({ client: app.clientId })}`, ['outbox.']);
  const retry = useAction();
  return (
    <section aria-labelledby="dead-title">
      <header className="screen-header">
        <h1 id="dead-title">Dead letters</h1>
      </header>
      <p>Background jobs (CRM updates, alerts, calendar changes) that failed every attempt. Fix the cause, then retry.</p>
      {retry.error && (
        <div className="notice error" role="alert">
          {retry.error}
        </div>
      )}
      <ZoneNote />
      <DataState state={state} empty="Nothing is stuck. Every background job went through." isEmpty={(data) => data.items.length === 0}>
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>What</th>
                <th>Failed</th>
                <th>Error</th>
                <th>Call</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.items.map((item) => (
                <tr key={item.id}>
                  <td>
                    {KIND_WORDS[item.kind] ?? item.kind} <ClientName id={item.clientId} />
                  </td>
                  <td>{formatTime(item.updatedAt, app.zoneOf(item.clientId))}</td>
                  <td className="error-text">
                    {item.lastError ?? '—'} ({item.attempts} attempts)
                  </td>
                  <td>{item.callId ? <Link to={`/calls/${item.callId}`}>Open call</Link> : '—'}</td>
                  <td>
                    <button
                      disabled={retry.busy}
                      onClick={async () => (await retry.run(() => api('POST', `/v1/api/outbox/${item.id}/retry`, {}))) && state.reload()}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </section>
  );
}
