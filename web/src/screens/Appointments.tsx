import { useState } from 'react';
import { api, query } from '../api';
import { formatDay, formatTime } from '../format';
import { DataState, Link, Status, useAction, useApp, useData } from '../shared';

/** The office-local date `days` before today, 'YYYY-MM-DD'. */
function daysAgo(days: number, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(Date.now() - days * 86_400_000),
  );
}

interface Appointment {
  id: number;
  appointmentType: string;
  startAt: string;
  endAt: string;
  status: string;
  callerName: string | null;
  callerPhone: string | null;
  customerId: number | null;
  callId: string | null;
  attendance: 'attended' | 'no_show' | null;
  attendanceMarkedBy: string | null;
  /** Who it is with, in an office with several bookable people. */
  staffName?: string;
}

const ATTENDANCE_WORDS = { attended: 'Held', no_show: 'No-show' } as const;

/** Held / No-show / Clear, once the appointment has started; an unmarked past appointment stays "unknown". */
function Attendance({ appointment, onDone }: { appointment: Appointment; onDone(): void }) {
  const action = useAction();
  const mark = (attendance: Appointment['attendance']) =>
    action.run(() => api('POST', `/v1/api/appointments/${appointment.id}/attendance`, { attendance })).then((ok) => ok && onDone());
  return (
    <div className="row" role="group" aria-label="Did the appointment take place?">
      <span>
        {appointment.attendance ? `Marked: ${ATTENDANCE_WORDS[appointment.attendance]}` : 'Not marked yet'}
        {appointment.attendanceMarkedBy ? ` (by ${appointment.attendanceMarkedBy})` : ''}
      </span>
      <button
        aria-pressed={appointment.attendance === 'attended'}
        disabled={action.busy || appointment.attendance === 'attended'}
        onClick={() => mark('attended')}
      >
        Held
      </button>
      <button
        aria-pressed={appointment.attendance === 'no_show'}
        disabled={action.busy || appointment.attendance === 'no_show'}
        onClick={() => mark('no_show')}
      >
        No-show
      </button>
      {appointment.attendance && (
        <button disabled={action.busy} onClick={() => mark(null)}>
          Clear mark
        </button>
      )}
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
    </div>
  );
}

function Reschedule({ appointment, onDone }: { appointment: Appointment; onDone(): void }) {
  const [value, setValue] = useState('');
  const action = useAction();
  return (
    <form
      className="row"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await action.run(() => api('POST', `/v1/api/appointments/${appointment.id}/reschedule`, { newStart: value }))) onDone();
      }}
    >
      <label>
        New time (office time)
        <input type="datetime-local" step={1800} value={value} onChange={(event) => setValue(event.target.value)} required />
      </label>
      <button type="submit" className="primary" disabled={action.busy}>
        Move
      </button>
      <button type="button" onClick={onDone}>
        Never mind
      </button>
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
    </form>
  );
}

export function Appointments() {
  const app = useApp();
  const clientId = app.clientId || app.clients[0]?.id || '';
  const [past, setPast] = useState(false);
  const state = useData<{ timezone: string; days: Array<{ date: string; appointments: Appointment[] }> }>(
    clientId
      ? `/v1/api/appointments${query(past ? { client: clientId, date: daysAgo(7, app.zoneOf(clientId)), days: 8 } : { client: clientId, days: 14 })}`
      : undefined,
    ['appointment.', 'call.'],
  );
  const [moving, setMoving] = useState<number>();
  const cancel = useAction();
  return (
    <section aria-labelledby="appointments-title">
      <header className="screen-header">
        <h1 id="appointments-title">Appointments</h1>
        <label className="check">
          <input type="checkbox" checked={past} onChange={(event) => setPast(event.target.checked)} /> Past week (to mark held or no-show)
        </label>
      </header>
      {!app.clientId && app.clients.length > 1 && <p className="muted">Showing {app.clients[0]?.name}; pick an office above to see another.</p>}
      {cancel.error && (
        <div className="notice error" role="alert">
          {cancel.error}
        </div>
      )}
      <DataState
        state={state}
        empty={past ? 'No appointments in the past week.' : 'No appointments in the next two weeks.'}
        isEmpty={(data) => data.days.every((day) => day.appointments.length === 0)}
      >
        {(data) => (
          <>
            <p className="zone-note">Times shown in {data.timezone} (the office's time zone).</p>
            {data.days
              .filter((day) => day.appointments.length > 0)
              .map((day) => (
                <div key={day.date} className="day">
                  <h2>{formatDay(day.date, data.timezone)}</h2>
                  <ul className="cards">
                    {day.appointments.map((appointment) => (
                      <li key={appointment.id} className="card">
                        <div className="card-title">
                          <strong>{formatTime(appointment.startAt, data.timezone, { date: false })}</strong> {appointment.appointmentType.replace(/-/g, ' ')} ·{' '}
                          {appointment.customerId ? (
                            <Link to={`/customers/${appointment.customerId}`}>{appointment.callerName ?? appointment.callerPhone}</Link>
                          ) : (
                            (appointment.callerName ?? appointment.callerPhone ?? 'Unknown')
                          )}
                          {appointment.staffName && <span className="person"> · with {appointment.staffName}</span>}
                          <Status value={appointment.status} />
                        </div>
                        {appointment.status === 'booked' && Date.parse(appointment.startAt) <= Date.now() && (
                          <Attendance appointment={appointment} onDone={state.reload} />
                        )}
                        {appointment.status === 'booked' &&
                          (moving === appointment.id ? (
                            <Reschedule
                              appointment={appointment}
                              onDone={() => {
                                setMoving(undefined);
                                state.reload();
                              }}
                            />
                          ) : (
                            <div className="row">
                              <button onClick={() => setMoving(appointment.id)}>Reschedule</button>
                              <button
                                disabled={cancel.busy}
                                onClick={async () =>
                                  window.confirm('Cancel this appointment? The caller gets a cancellation message.') &&
                                  (await cancel.run(() => api('POST', `/v1/api/appointments/${appointment.id}/cancel`, {}))) &&
                                  state.reload()
                                }
                              >
                                Cancel
                              </button>
                            </div>
                          ))}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
          </>
        )}
      </DataState>
    </section>
  );
}
