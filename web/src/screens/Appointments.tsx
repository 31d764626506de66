import { useState } from 'react';
import { api, query } from '../api';
import { formatDay, formatTime } from '../format';
import { DataState, Link, Status, useAction, useApp, useData } from '../shared';

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
      <label>New time (office time)<input type="datetime-local" step={1800} value={value} onChange={(event) => setValue(event.target.value)} required /></label>
      <button type="submit" className="primary" disabled={action.busy}>Move</button>
      <button type="button" onClick={onDone}>Never mind</button>
      {action.error && <div className="notice error" role="alert">{action.error}</div>}
    </form>
  );
}

export function Appointments() {
  const app = useApp();
  const clientId = app.clientId || app.clients[0]?.id || '';
  const state = useData<{ timezone: string; days: Array<{ date: string; appointments: Appointment[] }> }>(
    clientId ? `/v1/api/appointments${query({ client: clientId, days: 14 })}` : undefined,
    ['appointment.', 'call.'],
  );
  const [moving, setMoving] = useState<number>();
  const cancel = useAction();
  return (
    <section aria-labelledby="appointments-title">
      <header className="screen-header"><h1 id="appointments-title">Appointments</h1></header>
      {!app.clientId && app.clients.length > 1 && <p className="muted">Showing {app.clients[0]?.name}; pick an office above to see another.</p>}
      {cancel.error && <div className="notice error" role="alert">{cancel.error}</div>}
      <DataState state={state} empty="No appointments in the next two weeks." isEmpty={(data) => data.days.every((day) => day.appointments.length === 0)}>
        {(data) => (
          <>
            <p className="zone-note">Times shown in {data.timezone} (the office's time zone).</p>
            {data.days.filter((day) => day.appointments.length > 0).map((day) => (
              <div key={day.date} className="day">
                <h2>{formatDay(day.date, data.timezone)}</h2>
                <ul className="cards">
                  {day.appointments.map((appointment) => (
                    <li key={appointment.id} className="card">
                      <div className="card-title">
                        <strong>{formatTime(appointment.startAt, data.timezone, { date: false })}</strong> {appointment.appointmentType.replace(/-/g, ' ')} ·{' '}
                        {appointment.customerId ? <Link to={`/customers/${appointment.customerId}`}>{appointment.callerName ?? appointment.callerPhone}</Link> : appointment.callerName ?? appointment.callerPhone ?? 'Unknown'}
                        <Status value={appointment.status} />
                      </div>
                      {appointment.status === 'booked' && (moving === appointment.id ? (
                        <Reschedule appointment={appointment} onDone={() => { setMoving(undefined); state.reload(); }} />
                      ) : (
                        <div className="row">
                          <button onClick={() => setMoving(appointment.id)}>Reschedule</button>
                          <button disabled={cancel.busy} onClick={async () => window.confirm('Cancel this appointment? The caller gets a cancellation message.') && (await cancel.run(() => api('POST', `/v1/api/appointments/${appointment.id}/cancel`, {}))) && state.reload()}>Cancel</button>
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
