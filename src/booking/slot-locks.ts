/**
 * The race guard. Every held or booked appointment owns one `appointment_slot_locks` row per 5-minute cell
 * of [start, end + buffer); the primary key (client, staff, cell) lets exactly one of two overlapping appointments
 * of the same person (or of an office with one calendar, staff '') commit, whatever their lengths, without btree_gist (which PGlite lacks). Code only turns the loser's
 * unique violation into a friendly "that time was just taken".
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

export const CELL_MS = 5 * 60_000;

export function lockCells(startMs: number, blockEndMs: number): Date[] {
  const cells: Date[] = [];
  for (let cell = Math.floor(startMs / CELL_MS) * CELL_MS; cell < blockEndMs; cell += CELL_MS) cells.push(new Date(cell));
  return cells;
}

/** `staffId`: the person whose time is held (an office with staff); their cells never collide with another person's. */
export async function insertLocks(
  db: Kysely<DB>,
  clientId: string,
  appointmentId: number,
  startMs: number,
  blockEndMs: number,
  staffId?: string | null,
): Promise<void> {
  await db
    .insertInto('appointment_slot_locks')
    .values(
      lockCells(startMs, blockEndMs).map((cell) => ({
        client_id: clientId,
        cell_start: cell,
        appointment_id: appointmentId,
        ...(staffId ? { staff_id: staffId } : {}),
      })),
    )
    .execute();
}

export async function releaseLocks(db: Kysely<DB>, appointmentId: number): Promise<void> {
  await db.deleteFrom('appointment_slot_locks').where('appointment_id', '=', appointmentId).execute();
}

/**
 * Gives up holds that expired (a call that hung up mid-booking) and that stand in the way of [start, blockEnd):
 * their lock rows go, so the new hold's insert decides the race on the live rows only.
 */
export async function sweepExpiredHolds(db: Kysely<DB>, clientId: string, startMs: number, blockEndMs: number, now: Date): Promise<void> {
  const expired = await db
    .selectFrom('appointments')
    .select('id')
    .where('client_id', '=', clientId)
    .where('status', '=', 'held')
    .where('hold_expires_at', '<=', now)
    .where('start_at', '<', new Date(blockEndMs))
    .where('block_end_at', '>', new Date(startMs))
    .execute();
  if (expired.length === 0) return;
  const ids = expired.map((row) => row.id);
  await db.deleteFrom('appointment_slot_locks').where('appointment_id', 'in', ids).execute();
  await db
    .updateTable('appointments')
    .set({ status: 'released', idempotency_key: null, updated_at: now })
    .where('id', 'in', ids)
    .where('status', '=', 'held')
    .execute();
}

/**
 * Whether a live appointment (booked, or held and not yet expired) already holds a cell of [start, blockEnd) of this
 * person (or of the office's one calendar): a plain read before the hold transaction, so a slot that is plainly taken
 * costs one statement instead of a transaction of six to eight (issue 21: under a burst, most booking tries are for
 * slots someone holds, and their transactions kept the pool busy). It never decides a race: "no" goes on to the
 * transaction, whose insert decides as before; "yes" is only said when that insert would fail too (an expired hold
 * is swept there, so it counts as free here). `idempotencyKey`: the same call's own hold of this slot is not "taken"
 * (the transaction's key conflict leads to that booking's answer).
 */
export async function cellsTaken(
  db: Kysely<DB>,
  clientId: string,
  startMs: number,
  blockEndMs: number,
  now: Date,
  staffId?: string | null,
  idempotencyKey?: string,
): Promise<boolean> {
  let query = db
    .selectFrom('appointment_slot_locks as cell')
    .innerJoin('appointments as appointment', 'appointment.id', 'cell.appointment_id')
    .select('cell.appointment_id')
    .where('cell.client_id', '=', clientId)
    .where('cell.staff_id', '=', staffId ?? '')
    .where('cell.cell_start', 'in', lockCells(startMs, blockEndMs))
    .where((eb) =>
      eb.or([eb('appointment.status', '=', 'booked'), eb.and([eb('appointment.status', '=', 'held'), eb('appointment.hold_expires_at', '>', now)])]),
    );
  if (idempotencyKey !== undefined) {
    query = query.where((eb) => eb.or([eb('appointment.idempotency_key', 'is', null), eb('appointment.idempotency_key', '!=', idempotencyKey)]));
  }
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const record = error as { code?: string; constraint?: string; message?: string } | undefined;
  if (record?.code !== '23505') return false;
  return constraint === undefined || record.constraint === constraint || (record.message ?? '').includes(constraint);
}
