import { useState } from 'react';
import { query } from '../api';
import { formatDuration, formatTime } from '../format';
import { ClientName, DataState, Link, Status, ZoneNote, useApp, useData } from '../shared';

interface CallRow {
  id: string;
  clientId: string;
  callerName: string | null;
  fromNumber: string | null;
  status: string;
  createdAt: string;
  durationMs: number | null;
  outcome: string | null;
  summary: string | null;
  intent: string | null;
  sentiment: string | null;
}

const OUTCOMES = ['booked', 'rescheduled', 'cancelled', 'info_only', 'callback_requested', 'opted_out', 'voicemail', 'abandoned'];

export function Calls() {
  const app = useApp();
  const [search, setSearch] = useState('');
  const [outcome, setOutcome] = useState('');
  const state = useData<{ calls: CallRow[] }>(`/v1/api/calls${query({ client: app.clientId, q: search, outcome })}`, ['call.']);
  return (
    <section aria-labelledby="calls-title">
      <header className="screen-header">
        <h1 id="calls-title">Calls</h1>
      </header>
      <div className="filters">
        <label>
          Search <input type="search" placeholder="Name, number, words in the summary" value={search} onChange={(event) => setSearch(event.target.value)} />
        </label>
        <label>
          Outcome
          <select value={outcome} onChange={(event) => setOutcome(event.target.value)}>
            <option value="">Any</option>
            {OUTCOMES.map((value) => (
              <option key={value} value={value}>
                {value.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ZoneNote />
      <DataState
        state={state}
        empty={search || outcome ? 'No calls match this search.' : 'No calls yet. They appear here once the receptionist answers one.'}
        isEmpty={(data) => data.calls.length === 0}
      >
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Caller</th>
                <th>Length</th>
                <th>Outcome</th>
                <th>Intent</th>
                <th>Sentiment</th>
                <th>Summary</th>
              </tr>
            </thead>
            <tbody>
              {data.calls.map((call) => (
                <tr key={call.id}>
                  <td>
                    <Link to={`/calls/${call.id}`}>{formatTime(call.createdAt, app.zoneOf(call.clientId))}</Link>
                  </td>
                  <td>
                    {call.callerName ?? call.fromNumber ?? 'Unknown'} <ClientName id={call.clientId} />
                  </td>
                  <td>{formatDuration(call.durationMs)}</td>
                  <td>{call.outcome ? <Status value={call.outcome} /> : <Status value={call.status} />}</td>
                  <td>{call.intent ?? '—'}</td>
                  <td>{call.sentiment ?? '—'}</td>
                  <td className="summary">{call.summary ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </section>
  );
}
