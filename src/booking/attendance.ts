/**
 * Staff mark whether a booked appointment took place: `attended` or `no_show` (or clear the mark). Analytics counts
 * held and no-show appointments from this mark alone (an unmarked past appointment is "unknown", never held), and the
 * after-the-appointment follow-ups start from it. One transaction: the row (locked, so two staff marking at once are
 * serialised), its audit row, and whatever the mark plans.
 */
import type { AppContext } from '../app-context.js';
import type { Attendance, AppointmentRow } from '../db/tables/booking.js';
import { writeAudit } from '../dashboard/audit.js';
import { planAfterAppointment } from '../messaging/plan-follow-ups.js';

export interface MarkAttendanceInput {
  appointmentId: number;
  /** null clears an earlier mark. */
  attendance: Attendance | null;
  /** The staff member's e-mail, kept on the row and in the audit log. */
  actor: string;
}

export type MarkAttendanceAnswer =
  { ok: true; changed: boolean; appointment: AppointmentRow } | { ok: false; reason: 'not_found' | 'not_booked' | 'not_started'; message: string };

export async function markAttendance(context: AppContext, input: MarkAttendanceInput): Promise<MarkAttendanceAnswer> {
  const now = context.clock.now();
  return context.db.transaction().execute(async (trx): Promise<MarkAttendanceAnswer> => {
    const row = await trx.selectFrom('appointments').selectAll().where('id', '=', input.appointmentId).forUpdate().executeTakeFirst();
    if (!row || row.status === 'released') return { ok: false, reason: 'not_found', message: 'That appointment does not exist.' };
    if (row.status !== 'booked') {
      return { ok: false, reason: 'not_booked', message: `Only a booked appointment can be marked; this one is ${row.status}.` };
    }
    if (input.attendance !== null && row.start_at.getTime() > now.getTime()) {
      return { ok: false, reason: 'not_started', message: 'This appointment has not started yet; mark it once it has.' };
    }
    if (row.attendance === input.attendance) return { ok: true, changed: false, appointment: row };
    const updated = await trx
      .updateTable('appointments')
      .set({
        attendance: input.attendance,
        attendance_marked_at: input.attendance === null ? null : now,
        attendance_marked_by: input.attendance === null ? null : input.actor,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeAudit(trx, context.clock, {
      actor: input.actor,
      clientId: row.client_id,
      action: 'appointment.attendance',
      target: `appointment:${row.id}`,
      before: { attendance: row.attendance },
      after: { attendance: input.attendance },
    });
    await planAfterAppointment(trx, context, { clientId: row.client_id, appointmentId: row.id, attendance: input.attendance });
    return { ok: true, changed: true, appointment: updated };
  });
}
