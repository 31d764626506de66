/** Our own appointments and live holds as busy time, so availability never offers what we already gave away. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { BusyInterval } from './calendar-port.js';

export async function ourBusy(
  db: Kysely<DB>,
  clientId: string,
  startMs: number,
  endMs: number,
  now: Date,
  excludeAppointmentId?: number,
  /** Only this person's appointments (an office with staff); all of the office's when absent. */
  staffId?: string,
): Promise<BusyInterval[]> {
  let query = db
    .selectFrom('appointments')
    .select(['start_at', 'block_end_at'])
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('status', '=', 'booked'), eb.and([eb('status', '=', 'held'), eb('hold_expires_at', '>', now)])]))
    .where('start_at', '<', new Date(endMs))
    .where('block_end_at', '>', new Date(startMs));
  if (excludeAppointmentId !== undefined) query = query.where('id', '!=', excludeAppointmentId);
  if (staffId !== undefined) query = query.where('staff_id', '=', staffId);
  const rows = await query.execute();
  return rows.map((row) => ({ startMs: new Date(row.start_at).getTime(), endMs: new Date(row.block_end_at).getTime() }));
}

/** Our appointments and live holds in the window, per person (an office with staff), in one query. */
export async function ourBusyByStaff(db: Kysely<DB>, clientId: string, startMs: number, endMs: number, now: Date): Promise<Map<string, BusyInterval[]>> {
  const rows = await db
    .selectFrom('appointments')
    .select(['staff_id', 'start_at', 'block_end_at'])
    .where('client_id', '=', clientId)
    .where('staff_id', 'is not', null)
    .where((eb) => eb.or([eb('status', '=', 'booked'), eb.and([eb('status', '=', 'held'), eb('hold_expires_at', '>', now)])]))
    .where('start_at', '<', new Date(endMs))
    .where('block_end_at', '>', new Date(startMs))
    .execute();
  const byStaff = new Map<string, BusyInterval[]>();
  for (const row of rows) {
    const list = byStaff.get(row.staff_id!) ?? [];
    list.push({ startMs: new Date(row.start_at).getTime(), endMs: new Date(row.block_end_at).getTime() });
    byStaff.set(row.staff_id!, list);
  }
  return byStaff;
}
