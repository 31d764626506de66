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
): Promise<BusyInterval[]> {
  let query = db
    .selectFrom('appointments')
    .select(['start_at', 'block_end_at'])
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('status', '=', 'booked'), eb.and([eb('status', '=', 'held'), eb('hold_expires_at', '>', now)])]))
    .where('start_at', '<', new Date(endMs))
    .where('block_end_at', '>', new Date(startMs));
  if (excludeAppointmentId !== undefined) query = query.where('id', '!=', excludeAppointmentId);
  const rows = await query.execute();
  return rows.map((row) => ({ startMs: new Date(row.start_at).getTime(), endMs: new Date(row.block_end_at).getTime() }));
}
