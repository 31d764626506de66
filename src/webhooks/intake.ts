/**
 * Call-event intake, persist-and-answer. The webhook stores each (event, call) once in `webhook_events`
 * (status `received`, caller text already redacted, word timings dropped) together with its `retell_event`
 * outbox row, in one statement shared by every request that arrives at the same moment (group commit), and
 * answers. The worker then merges the event into the call (`processStoredEvent`). A duplicate delivery finds
 * the idempotency key and changes nothing; a processing failure keeps the event (`failed`, masked error, one
 * alert per fingerprint) and the outbox retries it, so an accepted event is never lost.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { errorMessage, PermanentError } from '../core/errors.js';
import { Batcher } from '../db/batcher.js';
import type { DB } from '../db/schema.js';
import type { BusEvent } from '../events/bus.js';
import { maskText } from '../log/mask.js';
import { redactCallerText, redactCallerValues, redactTranscriptObject } from '../log/redact-caller-text.js';
import { OUTBOX_CHANNEL } from '../outbox/enqueue.js';
import { applyCallEvent, lockCallsOfEvents } from '../calls/record.js';
import { CALL_EVENT_STAGE } from '../calls/stage.js';
import { recordUnansweredTransfer, runCallFollowUps } from './follow-ups.js';
import type { RetellCall } from './schema.js';

export const RETELL_EVENT_KIND = 'retell_event';

export type AcceptStatus = 'accepted' | 'duplicate';

export function isCallEvent(event: string): boolean {
  return event in CALL_EVENT_STAGE && event !== 'call_inbound';
}

/**
 * Retell sends many transcript_updated per call (one per turn), so their key includes a digest of the body;
 * every other event happens once per call.
 */
function idempotencyKey(clientId: string, event: string, callId: string, rawBody: string): string {
  if (event === 'transcript_updated') {
    return `${clientId}:${event}:${callId}:${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
  }
  return `${clientId}:${event}:${callId}`;
}

/** The utterances without word timings: staff read the words; the timings would only multiply the row size. */
function storedTranscriptObject(call: RetellCall, redact: boolean): Array<{ role: string; content: string }> | undefined {
  if (!call.transcript_object) return undefined;
  const utterances = call.transcript_object.map((utterance) => ({
    role: utterance.role,
    content: typeof utterance.content === 'string' ? utterance.content : '',
  }));
  return redact ? redactTranscriptObject(utterances) : utterances;
}

/**
 * Fields of Retell's call object that are ids, numbers, URLs, timestamps or statuses Retell sets: kept verbatim.
 * Every other field can carry what the caller said (the summary, custom analysis, collected dynamic variables, and
 * whatever Retell adds next), so its strings are redacted. URLs are kept because a redacted digit run would break
 * the link, and none carries the caller's words.
 */
const VERBATIM_CALL_FIELDS = new Set([
  'call_id',
  'agent_id',
  'agent_name',
  'agent_version',
  'agent_tag',
  'call_type',
  'call_status',
  'direction',
  'from_number',
  'to_number',
  'start_timestamp',
  'end_timestamp',
  'duration_ms',
  'disconnection_reason',
  'transfer_destination',
  'transfer_end_timestamp',
  'recording_url',
  'recording_multi_channel_url',
  'scrubbed_recording_url',
  'scrubbed_recording_multi_channel_url',
  'public_log_url',
  'knowledge_base_retrieved_contents_url',
  'opt_in_signed_url',
  'telephony_identifier',
  'data_storage_setting',
  'call_cost',
  'latency',
  'llm_token_usage',
  // Redacted on their own below (the utterances keep their shape).
  'transcript',
  'transcript_object',
]);

/**
 * The event as stored until processed, and so everything the worker derives from it (the call row, the caller's
 * last summary, the CRM note): transcripts and every other caller text redacted (per client
 * `retell.redactTranscripts`), word timings and tool logs dropped.
 */
function storedPayload(event: string, call: RetellCall, client: ClientRuntime): { event: string; call: RetellCall } {
  const redact = client.config.retell.redactTranscripts;
  const kept: RetellCall = { ...call };
  delete kept.transcript_with_tool_calls;
  delete kept.scrubbed_transcript_with_tool_calls;
  delete kept.transcript_object_with_words;
  if (call.transcript_object) kept.transcript_object = storedTranscriptObject(call, redact);
  if (!redact) return { event, call: kept };
  if (typeof call.transcript === 'string') kept.transcript = redactCallerText(call.transcript);
  const fields = kept as Record<string, unknown>;
  for (const [field, value] of Object.entries(fields)) {
    if (!VERBATIM_CALL_FIELDS.has(field)) fields[field] = redactCallerValues(value);
  }
  return { event, call: kept };
}

interface Arrival {
  clientId: string;
  key: string;
  event: string;
  callId: string;
  /** The stored payload as JSON text. */
  payload: string;
  maxAttempts: number;
  retryIntervalMs: number;
}

/**
 * One statement for a whole batch: insert the new events, an outbox row for each one inserted, and a wake-up
 * for the workers (NOTIFY is delivered on commit). Answers the keys that were new. Each value is its own
 * parameter, so the bodies reach the text column without being parsed as JSON or escaped into an array literal.
 */
async function storeArrivals(db: Kysely<DB>, now: Date, arrivals: Arrival[]): Promise<Set<string>> {
  const rows = sql.join(
    arrivals.map(
      (a, index) =>
        sql`(${index}::int, ${a.clientId}::text, ${a.key}::text, ${a.event}::text, ${a.callId}::text, ${a.payload}::text, ${a.maxAttempts}::int, ${a.retryIntervalMs}::int)`,
    ),
  );
  const result = await sql<{ idempotency_key: string; notified: number }>`
    with input (idx, client_id, idempotency_key, event_type, call_id, payload, max_attempts, retry_interval_ms) as (
      values ${rows}
    ), stored as (
      insert into webhook_events (client_id, provider, idempotency_key, event_type, received_at, payload, status)
      select client_id, 'retell', idempotency_key, event_type, ${now}, payload, 'received' from input order by idx
      on conflict (provider, idempotency_key) do nothing
      returning id, client_id, idempotency_key
    ), queued as (
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, call_id, created_at, updated_at)
      select s.client_id, ${RETELL_EVENT_KIND}, jsonb_build_object('webhookEventId', s.id), ${RETELL_EVENT_KIND} || ':' || s.id,
             ${now}, i.max_attempts, i.retry_interval_ms, i.call_id, ${now}, ${now}
      from stored s join input i on i.idempotency_key = s.idempotency_key
      returning 1
    ), woken as (
      select pg_notify(${OUTBOX_CHANNEL}, ${RETELL_EVENT_KIND}) where exists (select 1 from queued)
    )
    select s.idempotency_key, (select count(*)::int from woken) as notified from stored s`.execute(db);
  return new Set(result.rows.map((row) => row.idempotency_key));
}

/** Accepts call events for storage; concurrent arrivals share one statement and one commit. */
export class CallEventIntake {
  private readonly writer: Batcher<Arrival, boolean>;

  constructor(private readonly context: AppContext) {
    this.writer = new Batcher({
      run: async (arrivals) => {
        const stored = await storeArrivals(context.db, context.clock.now(), arrivals);
        return arrivals.map((arrival) => stored.has(arrival.key));
      },
      // Identical deliveries go in successive statements: the first stores the event, the next finds its key.
      keyOf: (arrival) => arrival.key,
      // PGlite has one connection: writes in flight would only queue there, so one at a time and bigger batches.
      maxInFlight: context.database.kind === 'postgres' ? 4 : 1,
    });
  }

  /** Resolves once the event is stored (`accepted`) or found already stored (`duplicate`); throws if the database failed. */
  async accept(client: ClientRuntime, event: string, call: RetellCall, rawBody: string): Promise<AcceptStatus> {
    const retry = client.config.retry;
    const created = await this.writer.add({
      clientId: client.config.slug,
      key: idempotencyKey(client.config.slug, event, call.call_id, rawBody),
      event,
      callId: call.call_id,
      payload: JSON.stringify(storedPayload(event, call, client)),
      maxAttempts: retry.maxAttempts,
      retryIntervalMs: retry.intervalSeconds * 1000,
    });
    return created ? 'accepted' : 'duplicate';
  }

  idle(): Promise<void> {
    return this.writer.idle();
  }
}

/**
 * Outbox handler body for `retell_event`: merges a stored event into its call, runs the follow-ups, and keeps
 * only the event's key afterwards (the call row holds the content). A failure marks the event `failed` with a
 * masked reason, raises an alert (one per fingerprint and window) and rethrows, so the outbox retries it.
 */
export async function processStoredEvent(context: AppContext, webhookEventId: number): Promise<'processed' | 'already_processed'> {
  const row = await context.db
    .selectFrom('webhook_events')
    .select(['id', 'client_id', 'event_type', 'status', 'payload'])
    .where('id', '=', webhookEventId)
    .executeTakeFirst();
  if (!row || row.status === 'processed') return 'already_processed';
  const client = row.client_id ? context.clients.get(row.client_id) : undefined;
  if (!client) throw new PermanentError(`Office ${row.client_id ?? '(none)'} is not configured any more.`, 'unknown_client');
  const { event, call } = JSON.parse(row.payload) as { event: string; call: RetellCall };
  try {
    return await context.db.transaction().execute(async (trx) => {
      // The status flips under a row lock, so two workers cannot both apply one event.
      const claimed = await trx
        .updateTable('webhook_events')
        .set({ status: 'processed', error: null, payload: JSON.stringify({ event, call: { call_id: call.call_id } }) })
        .where('id', '=', row.id)
        .where('status', '!=', 'processed')
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return 'already_processed' as const;
      const result = await applyCallEvent(trx, context, client, event, call);
      await runCallFollowUps(trx, context, client, result);
      if (event === 'transfer_cancelled') {
        const destination = (call as { transfer_destination?: unknown }).transfer_destination;
        await recordUnansweredTransfer(trx, context, client, result.call, typeof destination === 'string' ? destination : undefined);
      }
      await context.bus.publish(
        event === 'transcript_updated'
          ? { type: 'call.transcript', clientId: client.config.slug, data: { callId: call.call_id } }
          : { type: 'call.updated', clientId: client.config.slug, data: { callId: call.call_id, status: result.call.status, outcome: result.call.outcome } },
        trx,
      );
      return 'processed' as const;
    });
  } catch (error) {
    await keepFailed(context, client, row.id, event, call.call_id, error);
    throw error;
  }
}

/**
 * Several stored events applied in one transaction (one BEGIN/COMMIT, one read of the stored rows, one claim and
 * one live-event NOTIFY for all of them), in the order given: the outbox hands them over ordered by call, then
 * arrival. Each event's outcome is what `processStoredEvent` alone would give: the claim is the same status flip
 * under the row lock (exactly once), and if anything in the batch fails the whole transaction rolls back and every
 * event runs again on its own, in order, so one bad event fails (and is kept, alerted) alone.
 */
export async function processStoredEvents(
  context: AppContext,
  webhookEventIds: readonly number[],
): Promise<Array<PromiseSettledResult<'processed' | 'already_processed'>>> {
  const alone = async () => {
    const outcomes: Array<PromiseSettledResult<'processed' | 'already_processed'>> = [];
    for (const id of webhookEventIds) {
      try {
        outcomes.push({ status: 'fulfilled', value: await processStoredEvent(context, id) });
      } catch (error) {
        outcomes.push({ status: 'rejected', reason: error });
      }
    }
    return outcomes;
  };
  if (webhookEventIds.length <= 1) return alone();
  const outcomes: Array<PromiseSettledResult<'processed' | 'already_processed'>> = webhookEventIds.map(() => ({
    status: 'fulfilled',
    value: 'already_processed',
  }));
  try {
    const rows = await context.db
      .selectFrom('webhook_events')
      .select(['id', 'client_id', 'event_type', 'status', 'payload'])
      .where('id', 'in', [...webhookEventIds])
      .execute();
    const byId = new Map(rows.map((row) => [Number(row.id), row]));
    const pending: Array<{ index: number; id: number; client: ClientRuntime; event: string; call: RetellCall }> = [];
    for (const [index, id] of webhookEventIds.entries()) {
      const row = byId.get(id);
      if (!row || row.status === 'processed') continue;
      const client = row.client_id ? context.clients.get(row.client_id) : undefined;
      // An unknown office is the single path's failure (kept, alerted, retried): leave it to that path (a payload
      // that does not parse throws here and goes there too, below).
      if (!client) return await alone();
      const { event, call } = JSON.parse(row.payload) as { event: string; call: RetellCall };
      pending.push({ index, id, client, event, call });
    }
    if (pending.length === 0) return outcomes;
    await context.db.transaction().execute(async (trx) => {
      // The status flips under row locks, so two workers cannot both apply one event.
      const claims = JSON.stringify(pending.map(({ id, event, call }) => ({ id, payload: JSON.stringify({ event, call: { call_id: call.call_id } }) })));
      const claimed = await sql<{ id: number }>`
        update webhook_events w set status = 'processed', error = null, payload = c.payload
        from jsonb_to_recordset(${claims}::jsonb) as c(id bigint, payload text)
        where w.id = c.id and w.status <> 'processed'
        returning w.id`.execute(trx);
      const mine = new Set(claimed.rows.map((row) => Number(row.id)));
      const applying = pending.filter(({ id }) => mine.has(id));
      // Every call and caller of the batch locked first, in the one order (calls/record.ts): batches running side by
      // side then wait for each other instead of deadlocking.
      await lockCallsOfEvents(
        trx,
        context,
        applying.map(({ client, event, call }) => ({ clientId: client.config.slug, event, call })),
      );
      const published: BusEvent[] = [];
      for (const { index, client, event, call } of applying) {
        const result = await applyCallEvent(trx, context, client, event, call);
        await runCallFollowUps(trx, context, client, result);
        if (event === 'transfer_cancelled') {
          const destination = (call as { transfer_destination?: unknown }).transfer_destination;
          await recordUnansweredTransfer(trx, context, client, result.call, typeof destination === 'string' ? destination : undefined);
        }
        published.push(
          event === 'transcript_updated'
            ? { type: 'call.transcript', clientId: client.config.slug, data: { callId: call.call_id } }
            : { type: 'call.updated', clientId: client.config.slug, data: { callId: call.call_id, status: result.call.status, outcome: result.call.outcome } },
        );
        outcomes[index] = { status: 'fulfilled', value: 'processed' };
      }
      await context.bus.publishMany(published, trx);
    });
    return outcomes;
  } catch (error) {
    // Nothing of the batch is stored: each event again on its own, which keeps and alerts the one that fails. Said in
    // the log, since the retry would otherwise hide why the batch failed (a deadlock, a bad event).
    context.logger.warn({ err: error, events: webhookEventIds.length }, 'Stored call events failed as a batch; applying them one by one');
    return alone();
  }
}

async function keepFailed(context: AppContext, client: ClientRuntime, id: number, event: string, callId: string, error: unknown) {
  const reason = maskText(errorMessage(error)).slice(0, 1000);
  context.logger.error({ err: error, event, callId }, 'Retell event processing failed; kept for retry');
  try {
    await context.db.updateTable('webhook_events').set({ status: 'failed', error: reason }).where('id', '=', id).execute();
  } catch (updateError) {
    context.logger.error({ err: updateError }, 'Could not mark the Retell event failed; the outbox still retries it');
  }
  await context.alerts.raise({
    clientId: client.config.slug,
    source: 'retell.webhook',
    fingerprint: `retell.webhook:${event}:${error instanceof Error ? error.name : 'error'}`,
    message: `Processing Retell's ${event} failed (${reason}). The event is kept and will be retried automatically.`,
    callId,
  });
}
