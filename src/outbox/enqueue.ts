/**
 * Writing to the outbox. Call `enqueue` with the same transaction as the state change that causes the side
 * effect, so both commit or neither does. The dedupe key makes a repeated enqueue (a retried webhook, a
 * function called twice) a no-op that returns the existing row.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { json } from '../db/json.js';
import type { DB, OutboxStatus } from '../db/schema.js';

export const OUTBOX_CHANNEL = 'switchboard_outbox';

export interface RetryPolicy {
  maxAttempts: number;
  intervalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, intervalMs: 60_000 };

export interface EnqueueInput {
  clientId: string;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey: string;
  /** Default: now. */
  runAt?: Date;
  retry?: RetryPolicy;
  callId?: string | null;
  appointmentId?: number | null;
  customerId?: number | null;
}

export interface EnqueueResult {
  id: number;
  /** false when a row with the same dedupe key already existed. */
  created: boolean;
  status: OutboxStatus;
}

export async function enqueue(db: Kysely<DB>, clock: Clock, input: EnqueueInput): Promise<EnqueueResult> {
  const now = clock.now();
  const retry = input.retry ?? defaultRetryPolicy;
  const inserted = await db
    .insertInto('outbox')
    .values({
      client_id: input.clientId,
      kind: input.kind,
      payload: json(input.payload),
      dedupe_key: input.dedupeKey,
      run_at: input.runAt ?? now,
      max_attempts: retry.maxAttempts,
      retry_interval_ms: retry.intervalMs,
      call_id: input.callId ?? null,
      appointment_id: input.appointmentId ?? null,
      customer_id: input.customerId ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
  if (inserted) {
    // Delivered on commit (NOTIFY is transactional), so a worker never wakes before the row is visible.
    await sql`select pg_notify(${OUTBOX_CHANNEL}, ${input.kind})`.execute(db);
    return { id: inserted.id, created: true, status: inserted.status };
  }
  const existing = await db.selectFrom('outbox').select(['id', 'status']).where('dedupe_key', '=', input.dedupeKey).executeTakeFirstOrThrow();
  return { id: existing.id, created: false, status: existing.status };
}
