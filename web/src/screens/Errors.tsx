import { useState } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { ClientName, DataState, Link, ZoneNote, useAction, useApp, useData } from '../shared';

interface ErrorRow {
  id: number;
  clientId: string | null;
  source: string;
  fingerprint: string;
  severity: string;
  message: string;
  details: unknown;
  count: number;
  callId: string | null;
  lastSeenAt: string;
  resolvedAt: string | null;
}

export function Errors() {
  const app = useApp();
  const [state_, setState] = useState('open');
  const [source, setSource] = useState('');
  const state = useData<{ errors: ErrorRow[]; sources: string[] }>(`/v1/api/errors${query({ client: app.clientId, state: state_, source })}`, ['error.']);
  const resolve = useAction();
  return (
    <section aria-labelledby="errors-title">
      <header className="screen-header">
        <h1 id="errors-title">Errors</h1>
      </header>
      <div className="filters">
        <label>
          Show
          <select value={state_} onChange={(event) => setState(event.target.value)}>
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Source
          <select value={source} onChange={(event) => setSource(event.target.value)}>
            <option value="">Any</option>
            {state.data?.sources.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
      </div>
      {resolve.error && (
        <div className="notice error" role="alert">
          {resolve.error}
        </div>
      )}
      <ZoneNote />
      <DataState state={state} empty={state_ === 'open' ? 'No open errors. All good.' : 'Nothing to show.'} isEmpty={(data) => data.errors.length === 0}>
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>Last seen</th>
                <th>Where</th>
                <th>What happened</th>
                <th>Times</th>
                <th>Call</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.errors.map((error) => (
                <tr key={error.id}>
                  <td>{formatTime(error.lastSeenAt, app.zoneOf(error.clientId ?? ''))}</td>
                  <td>
                    {error.source} {error.clientId && <ClientName id={error.clientId} />}
                  </td>
                  <td>
                    {error.message}
                    {error.details != null && (
                      <details>
                        <summary>Details</summary>
                        <pre>{JSON.stringify(error.details, null, 2)}</pre>
                      </details>
                    )}
                  </td>
                  <td>{error.count}</td>
                  <td>{error.callId ? <Link to={`/calls/${error.callId}`}>Open call</Link> : '—'}</td>
                  <td>
                    {error.resolvedAt ? (
                      'Resolved'
                    ) : (
                      <button
                        disabled={resolve.busy}
                        onClick={async () => (await resolve.run(() => api('POST', `/v1/api/errors/${error.id}/resolve`, {}))) && state.reload()}
                      >
                        Mark resolved
                      </button>
                    )}
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
