import { formatDuration, formatTime } from '../format';
import { DataState, Link, Status, ZoneNote, useApp, useData } from '../shared';
import { MessageList, type Message } from './MessageList';
import { InsightFacts, InsightTranscript, type InsightData, type Utterance } from './CallInsight';

interface CallPageData {
  call: {
    id: string;
    clientId: string;
    customerId: number | null;
    callerName: string | null;
    fromNumber: string | null;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
    durationMs: number | null;
    summary: string | null;
    intent: string | null;
    sentiment: string | null;
    outcome: string | null;
    transcript: string | null;
    transcriptObject: Utterance[] | null;
    recordingUrl: string | null;
  };
  insight: InsightData | null;
  functions: Array<{ name: string; args: unknown; result: unknown; status: string; at: string; durationMs: number | null }>;
  appointments: Array<{ id: number; appointmentType: string; startAt: string; status: string; bookingId: string }>;
  messages: Message[];
  crm: {
    syncs: Array<{ id: number; status: string; lastError: string | null; updatedAt: string; payload: Record<string, unknown> }>;
    notes: Array<{ purpose: string; leadId: string; noteId: string }>;
  };
}

export function CallPage({ id }: { id: string }) {
  const app = useApp();
  const state = useData<CallPageData>(`/v1/api/calls/${encodeURIComponent(id)}`, ['call.', 'outbox.', 'appointment.']);
  return (
    <section aria-labelledby="call-title">
      <DataState state={state} empty="" isEmpty={() => false}>
        {({ call, functions, appointments, messages, crm, insight }) => {
          const zone = app.zoneOf(call.clientId);
          return (
            <>
              <header className="screen-header">
                <h1 id="call-title">Call with {call.callerName ?? call.fromNumber ?? 'unknown caller'}</h1>
                <Status value={call.outcome ?? call.status} />
              </header>
              <ZoneNote clientId={call.clientId} />
              <dl className="facts">
                <dt>Started</dt>
                <dd>{formatTime(call.startedAt, zone)}</dd>
                <dt>Length</dt>
                <dd>{formatDuration(call.durationMs)}</dd>
                <dt>Caller</dt>
                <dd>{call.customerId ? <Link to={`/customers/${call.customerId}`}>{call.callerName ?? call.fromNumber}</Link> : (call.fromNumber ?? '—')}</dd>
                <dt>Intent</dt>
                <dd>{call.intent ?? '—'}</dd>
                <dt>Sentiment</dt>
                <dd>{call.sentiment ?? '—'}</dd>
                <dt>Recording</dt>
                <dd>
                  {call.recordingUrl ? (
                    <a href={call.recordingUrl} target="_blank" rel="noreferrer">
                      Listen
                    </a>
                  ) : (
                    'None'
                  )}
                </dd>
              </dl>
              {call.summary && <p className="summary-block">{call.summary}</p>}
              <h2>Caller insight</h2>
              <InsightFacts insight={insight} />
              <h2>Appointment</h2>
              {appointments.length === 0 ? (
                <div className="notice empty">No appointment was booked in this call.</div>
              ) : (
                <ul className="plain" aria-label="Appointments">
                  {appointments.map((appointment) => (
                    <li key={appointment.id} className="appointment">
                      {appointment.appointmentType.replace(/-/g, ' ')} on {formatTime(appointment.startAt, zone)} <Status value={appointment.status} />
                    </li>
                  ))}
                </ul>
              )}
              <h2>Messages</h2>
              {messages.length === 0 ? (
                <div className="notice empty">No messages for this call.</div>
              ) : (
                <MessageList messages={messages} onChange={state.reload} />
              )}
              <h2>What the receptionist did</h2>
              {functions.length === 0 ? (
                <div className="notice empty">The receptionist did not look anything up in this call.</div>
              ) : (
                <ol className="functions-list">
                  {functions.map((fn, index) => (
                    <li key={index}>
                      <strong>{fn.name.replace(/_/g, ' ')}</strong>{' '}
                      <span className="muted">
                        {formatTime(fn.at, zone, { date: false })}
                        {fn.durationMs !== null ? ` · ${fn.durationMs} ms` : ''}
                      </span>
                      <details>
                        <summary>Asked with / answered</summary>
                        <pre>{JSON.stringify(fn.args, null, 2)}</pre>
                        <pre>{JSON.stringify(fn.result, null, 2)}</pre>
                      </details>
                    </li>
                  ))}
                </ol>
              )}
              <h2>CRM</h2>
              {crm.syncs.length === 0 ? (
                <div className="notice empty">Not sent to the CRM yet.</div>
              ) : (
                <ul className="plain">
                  {crm.syncs.map((sync) => (
                    <li key={sync.id}>
                      {String(sync.payload.purpose ?? 'sync').replace(/_/g, ' ')} <Status value={sync.status} /> {formatTime(sync.updatedAt, zone)}{' '}
                      {sync.lastError && <span className="error-text">{sync.lastError}</span>}
                    </li>
                  ))}
                  {crm.notes.length > 0 && (
                    <li>
                      Lead {crm.notes[0]!.leadId}, {crm.notes.length} note(s)
                    </li>
                  )}
                </ul>
              )}
              <h2>Transcript</h2>
              {Array.isArray(call.transcriptObject) && call.transcriptObject.length > 0 ? (
                <InsightTranscript utterances={call.transcriptObject} insight={insight} />
              ) : call.transcript ? (
                <pre className="transcript">{call.transcript}</pre>
              ) : (
                <div className="notice empty">No transcript yet.</div>
              )}
            </>
          );
        }}
      </DataState>
    </section>
  );
}
