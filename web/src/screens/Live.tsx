import { useEffect, useState } from 'react';
import { api, query } from '../api';
import { formatDuration, formatTime } from '../format';
import { ClientName, DataState, Link, Status, ZoneNote, useAction, useApp, useData } from '../shared';

interface LiveCall {
  id: string;
  clientId: string;
  callerName: string | null;
  fromMasked: string | null;
  status: string;
  startedAt: string | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number | null;
  outcome: string | null;
  summary: string | null;
  transcript?: string | null;
  functions?: Array<{ name: string; status: string }>;
}

function Elapsed({ since }: { since: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <>{formatDuration(now - new Date(since).getTime())}</>;
}

export function Live() {
  const app = useApp();
  const state = useData<{ active: LiveCall[]; recent: LiveCall[] }>(`/v1/api/live-calls${query({ client: app.clientId })}`, [
    'call.',
    'outbox.',
    'appointment.',
  ]);
  const simulate = useAction();
  const simulateClient = app.clientId || app.clients[0]?.id;
  return (
    <section aria-labelledby="live-title">
      <header className="screen-header">
        <h1 id="live-title">Live calls</h1>
        {app.demo && simulateClient && (
          <button
            disabled={simulate.busy}
            onClick={() => simulate.run(() => api('POST', '/v1/api/simulate', { client: simulateClient, scenario: 'new-caller-books' }))}
          >
            {simulate.busy ? 'Calling…' : 'Simulate a call'}
          </button>
        )}
      </header>
      {simulate.error && (
        <div className="notice error" role="alert">
          {simulate.error}
        </div>
      )}
      <ZoneNote />
      <DataState state={state} empty="" isEmpty={() => false}>
        {(data) => (
          <>
            <h2>In progress</h2>
            {data.active.length === 0 ? (
              <div className="notice empty">No calls right now. New calls appear here as soon as the phone rings.</div>
            ) : (
              <ul className="cards" aria-label="Calls in progress">
                {data.active.map((call) => (
                  <li key={call.id} className="card live-call" data-call-id={call.id}>
                    <div className="card-title">
                      <Link to={`/calls/${call.id}`}>{call.callerName ?? call.fromMasked ?? 'Unknown caller'}</Link> <ClientName id={call.clientId} />
                      <Status value={call.status} />
                      <span className="elapsed">{call.startedAt || call.createdAt ? <Elapsed since={call.startedAt ?? call.createdAt} /> : null}</span>
                    </div>
                    {call.functions && call.functions.length > 0 && (
                      <p className="functions">Did: {call.functions.map((fn) => fn.name.replace(/_/g, ' ')).join(' → ')}</p>
                    )}
                    {call.transcript && <pre className="transcript live">{call.transcript.split('\n').slice(-6).join('\n')}</pre>}
                  </li>
                ))}
              </ul>
            )}
            <h2>Last hour</h2>
            {data.recent.length === 0 ? (
              <div className="notice empty">No calls ended in the last hour.</div>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Caller</th>
                    <th>Ended</th>
                    <th>Length</th>
                    <th>Outcome</th>
                    <th>Summary</th>
                  </tr>
                </thead>
                <tbody>
                  {data.recent.map((call) => (
                    <tr key={call.id} data-call-id={call.id}>
                      <td>
                        <Link to={`/calls/${call.id}`}>{call.callerName ?? call.fromMasked ?? 'Unknown caller'}</Link> <ClientName id={call.clientId} />
                      </td>
                      <td>{formatTime(call.endedAt, app.zoneOf(call.clientId), { date: false })}</td>
                      <td>{formatDuration(call.durationMs)}</td>
                      <td>{call.outcome ? <Status value={call.outcome} /> : <Status value={call.status} />}</td>
                      <td className="summary">{call.summary ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </DataState>
    </section>
  );
}
