/**
 * The race guard. Every held or booked appointment owns one `appointment_slot_locks` row per 5-minute cell
 * of [start, end + buffer); the primary key (client, staff, cell) lets exactly one of two overlapping appointments
 * of the same person (or of an office with one calendar, staff '') commit, whatever their lengths, without btree_gist (which PGlite lacks). Code only turns the loser's
 * unique violation into a friendly "that time was just taken".
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { AppointmentRow } from '../db/tables/booking.js';

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

export interface LookBeforeHold {
  /** This call's own appointment of this slot and type (by its idempotency key), whatever its status. */
  ours: AppointmentRow | undefined;
  /** Whether someone else's live appointment (booked, or held and not expired) holds a cell of the slot. */
  taken: boolean;
}

/**
 * The look before a hold, in one read on the hold's connection (issue 21: each statement of a booking try was a wait
 * for the pool): this call's own appointment of the slot, and whether a live appointment (booked, or held and not
 * yet expired) of someone else already holds a cell of [start, blockEnd) of this person (or of the office's one
 * calendar). "Taken" never decides a race: "no" goes on to the hold transaction, whose insert decides as before; "yes"
 * is only said when that insert would fail too (an expired hold is swept there, so it counts as free here), and it
 * costs one statement instead of a transaction of six to eight. `idempotencyKey`: the same call's own hold of this
 * slot is `ours`, not "taken".
 */
export async function lookBeforeHold(
  db: Kysely<DB>,
  slot: { clientId: string; startMs: number; blockEndMs: number; now: Date; staffId?: string | null; idempotencyKey?: string },
): Promise<LookBeforeHold> {
  const { idempotencyKey } = slot;
  let liveCells = db
    .selectFrom('appointment_slot_locks as cell')
    .innerJoin('appointments as holder', 'holder.id', 'cell.appointment_id')
    .select('cell.appointment_id')
    .where('cell.client_id', '=', slot.clientId)
    .where('cell.staff_id', '=', slot.staffId ?? '')
    .where('cell.cell_start', 'in', lockCells(slot.startMs, slot.blockEndMs))
    .where((eb) => eb.or([eb('holder.status', '=', 'booked'), eb.and([eb('holder.status', '=', 'held'), eb('holder.hold_expires_at', '>', slot.now)])]));
  if (idempotencyKey === undefined) return { ours: undefined, taken: (await liveCells.limit(1).executeTakeFirst()) !== undefined };
  liveCells = liveCells.where((eb) => eb.or([eb('holder.idempotency_key', 'is', null), eb('holder.idempotency_key', '!=', idempotencyKey)]));
  // One row always: the key's appointment (all nulls when there is none) beside the answer about the cells.
  const row = await db
    .selectFrom(sql<{ one: number }>`(values (1))`.as('one'))
    .leftJoin('appointments', (join) => join.on('appointments.idempotency_key', '=', idempotencyKey))
    .selectAll('appointments')
    .select((eb) => eb.exists(liveCells.limit(1)).as('slot_taken'))
    .executeTakeFirstOrThrow();
  const { slot_taken: taken, ...appointment } = row;
  return { ours: appointment.id === null ? undefined : (appointment as AppointmentRow), taken: Boolean(taken) };
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const record = error as { code?: string; constraint?: string; message?: string } | undefined;
  if (record?.code !== '23505') return false;
  return constraint === undefined || record.constraint === constraint || (record.message ?? '').includes(constraint);
}
