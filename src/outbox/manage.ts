/**
 * Operations staff and other modules perform on outbox rows: cancel, edit-and-retry, retry, list, history.
 * History is append-only: an edit records the payload it replaced, so nothing a person did is lost.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { json } from '../db/json.js';
import type { DB, OutboxRow, OutboxStatus } from '../db/schema.js';
import { OUTBOX_CHANNEL } from './enqueue.js';

const CANCELLABLE: OutboxStatus[] = ['scheduled', 'failed', 'unknown'];
const RETRYABLE: OutboxStatus[] = ['dead', 'failed', 'unknown', 'cancelled'];

export type ManageResult = { ok: true; row: OutboxRow } | { ok: false; reason: 'not_found' | 'wrong_status'; status?: OutboxStatus; message: string };

/** Cancels one row that has not run yet (or is waiting for a retry, or waits for a person's decision). */
export async function cancelOutboxRow(db: Kysely<DB>, clock: Clock, id: number, options: { actor?: string; reason?: string } = {}): Promise<ManageResult> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('outbox').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return { ok: false, reason: 'not_found', message: `No outbox row ${id}.` };
    if (!CANCELLABLE.includes(row.status)) {
      return {
        ok: false,
        reason: 'wrong_status',
        status: row.status,
        message: `Row ${id} is ${row.status}; only scheduled, failed or unknown rows can be cancelled.`,
      };
    }
    const now = clock.now();
    const updated = await trx
      .updateTable('outbox')
      .set({ status: 'cancelled', updated_at: now, finished_at: now, last_error: options.reason ?? row.last_error })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('outbox_attempts')
      .values({
        outbox_id: id,
        attempt: row.attempts,
        outcome: 'cancelled',
        started_at: now,
        finished_at: now,
        error: options.reason ?? null,
        response: null,
        payload: null,
        actor: options.actor ?? null,
      })
      .execute();
    return { ok: true, row: updated };
  });
}

export interface CancelFilter {
  clientId: string;
  kinds?: string[];
  customerId?: number;
  appointmentId?: number;
  callId?: string;
  /** Only rows whose payload has this value at `payloadKey` (e.g. `{ purpose: 'nurture' }`). */
  payloadMatch?: Record<string, string>;
}

/**
 * Cancels every pending row matching the filter (reminders of a cancelled appointment, nurture of a caller
 * who booked, SMS to a number that said STOP). Meant to run inside the caller's transaction.
 */
export async function cancelPending(db: Kysely<DB>, clock: Clock, filter: CancelFilter, reason: string): Promise<number[]> {
  const now = clock.now();
  let query = db
    .updateTable('outbox')
    .set({ status: 'cancelled', updated_at: now, finished_at: now, last_error: reason })
    .where('client_id', '=', filter.clientId)
    .where('status', 'in', ['scheduled', 'failed']);
  if (filter.kinds?.length) query = query.where('kind', 'in', filter.kinds);
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
  if (filter.appointmentId !== undefined) query = query.where('appointment_id', '=', filter.appointmentId);
  if (filter.callId !== undefined) query = query.where('call_id', '=', filter.callId);
  for (const [key, value] of Object.entries(filter.payloadMatch ?? {})) {
    query = query.where(sql<string>`payload->>${key}`, '=', value);
  }
  const rows = await query.returning(['id', 'attempts']).execute();
  if (rows.length > 0) {
    await db
      .insertInto('outbox_attempts')
      .values(
        rows.map((row) => ({
          outbox_id: row.id,
          attempt: row.attempts,
          outcome: 'cancelled',
          started_at: now,
          finished_at: now,
          error: reason,
          response: null,
          payload: null,
          actor: null,
        })),
      )
      .execute();
  }
  return rows.map((row) => row.id);
}

/**
 * Sends a dead, failed, unknown or cancelled row again, optionally with an edited payload. The row gets a
 * fresh set of attempts; the previous payload and attempts stay in its history.
 */
export async function retryOutboxRow(
  db: Kysely<DB>,
  clock: Clock,
  id: number,
  options: { payload?: Record<string, unknown>; actor?: string; runAt?: Date } = {},
): Promise<ManageResult> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('outbox').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return { ok: false, reason: 'not_found', message: `No outbox row ${id}.` };
    if (!RETRYABLE.includes(row.status)) {
      return {
        ok: false,
        reason: 'wrong_status',
        status: row.status,
        message: `Row ${id} is ${row.status}; only dead, failed, unknown or cancelled rows can be sent again.`,
      };
    }
    const now = clock.now();
    await trx
      .insertInto('outbox_attempts')
      .values({
        outbox_id: id,
        attempt: row.attempts,
        outcome: options.payload ? 'edited' : 'retried',
        started_at: now,
        finished_at: now,
        error: row.last_error,
        response: null,
        payload: json(row.payload),
        actor: options.actor ?? null,
      })
      .execute();
    const updated = await trx
      .updateTable('outbox')
      .set({
        status: 'scheduled',
        attempts: 0,
        run_at: options.runAt ?? now,
        payload: json(options.payload ?? row.payload),
        locked_by: null,
        lease_until: null,
        finished_at: null,
        // A person chose to send it again: an earlier attempt whose outcome was unknown is no longer looked up first.
        unsettled_since: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await sql`select pg_notify(${OUTBOX_CHANNEL}, ${row.kind})`.execute(trx);
    return { ok: true, row: updated };
  });
}

export interface ListFilter {
  clientIds?: string[];
  statuses?: OutboxStatus[];
  kinds?: string[];
  customerId?: number;
  callId?: string;
  appointmentId?: number;
  limit?: number;
  /** Rows with id below this (for paging, newest first). */
  beforeId?: number;
}

export async function listOutbox(db: Kysely<DB>, filter: ListFilter = {}): Promise<OutboxRow[]> {
  let query = db.selectFrom('outbox').selectAll();
  if (filter.clientIds) query = query.where('client_id', 'in', filter.clientIds.length ? filter.clientIds : ['']);
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.kinds?.length) query = query.where('kind', 'in', filter.kinds);
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
  if (filter.callId !== undefined) query = query.where('call_id', '=', filter.callId);
  if (filter.appointmentId !== undefined) query = query.where('appointment_id', '=', filter.appointmentId);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query
    .orderBy('id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000))
    .execute();
}

export async function outboxHistory(db: Kysely<DB>, id: number) {
  return db.selectFrom('outbox_attempts').selectAll().where('outbox_id', '=', id).orderBy('id').execute();
}

export async function countOutboxByStatus(db: Kysely<DB>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['status', sql<number>`count(*)::int`.as('count')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}
