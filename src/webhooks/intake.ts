/**
 * Call-event intake: each (event, call) is recorded once in `webhook_events` and merged into the call in the
 * same transaction, so a duplicate delivery (concurrent or later) finds the key and changes nothing. A
 * processing failure keeps the event (status `failed`) and queues a `retell_event` retry in the outbox, so an
 * accepted event is never lost.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { errorMessage } from '../core/errors.js';
import { json } from '../db/json.js';
import { maskText } from '../log/mask.js';
import { redactTranscript } from '../log/redact-transcript.js';
import { enqueue } from '../outbox/enqueue.js';
import { applyCallEvent } from '../calls/record.js';
import { CALL_EVENT_STAGE } from '../calls/stage.js';
import { runCallFollowUps } from './follow-ups.js';
import type { RetellCall } from './schema.js';

export const RETELL_EVENT_RETRY_KIND = 'retell_event';

export type IntakeResult = { status: 'processed' | 'duplicate' | 'queued_for_retry'; callId: string };

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

/** The event as kept for replay: transcripts redacted like the call row, word timings and tool logs dropped. */
function storedPayload(event: string, call: RetellCall, client: ClientRuntime): Record<string, unknown> {
  if (event === 'transcript_updated') return { event, call: { call_id: call.call_id } };
  const redact = client.config.retell.redactTranscripts;
  const kept: Record<string, unknown> = { ...call };
  delete kept.transcript_with_tool_calls;
  delete kept.scrubbed_transcript_with_tool_calls;
  delete kept.transcript_object_with_words;
  if (typeof call.transcript === 'string' && redact) kept.transcript = redactTranscript(call.transcript);
  if (call.transcript_object) {
    kept.transcript_object = call.transcript_object.map((utterance) => ({
      role: utterance.role,
      content: typeof utterance.content === 'string' ? (redact ? redactTranscript(utterance.content) : utterance.content) : '',
    }));
  }
  return { event, call: kept };
}

async function process(context: AppContext, client: ClientRuntime, event: string, call: RetellCall, eventRowId: number | undefined, key: string) {
  return context.db.transaction().execute(async (trx) => {
    if (eventRowId === undefined) {
      const inserted = await trx
        .insertInto('webhook_events')
        .values({
          client_id: client.config.slug,
          provider: 'retell',
          idempotency_key: key,
          event_type: event,
          received_at: context.clock.now(),
          // Processed events live on in the call row; only a failed event keeps its full body for the retry.
          payload: json({ event, call: { call_id: call.call_id } }),
          // Written as processed: if processing throws, this insert rolls back with the rest and the event is
          // then kept as failed by keepForRetry.
          status: 'processed',
          error: null,
        })
        .onConflict((conflict) => conflict.columns(['provider', 'idempotency_key']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return 'duplicate' as const;
    }
    const result = await applyCallEvent(trx, context, client, event, call);
    await runCallFollowUps(trx, context, client, result);
    if (eventRowId !== undefined) {
      await trx.updateTable('webhook_events').set({ status: 'processed', error: null }).where('id', '=', eventRowId).execute();
    }
    await context.bus.publish(
      event === 'transcript_updated'
        ? { type: 'call.transcript', clientId: client.config.slug, data: { callId: call.call_id } }
        : { type: 'call.updated', clientId: client.config.slug, data: { callId: call.call_id, status: result.call.status, outcome: result.call.outcome } },
      trx,
    );
    return 'processed' as const;
  });
}

export async function ingestCallEvent(
  context: AppContext,
  client: ClientRuntime,
  event: string,
  call: RetellCall,
  rawBody: string,
): Promise<IntakeResult> {
  const key = idempotencyKey(client.config.slug, event, call.call_id, rawBody);
  try {
    return { status: await process(context, client, event, call, undefined, key), callId: call.call_id };
  } catch (error) {
    // Only a failed event keeps its (redacted) body, so the redaction for storage happens only here.
    const payload = storedPayload(event, call, client);
    return { status: await keepForRetry(context, client, event, call.call_id, key, payload, error), callId: call.call_id };
  }
}

async function keepForRetry(
  context: AppContext,
  client: ClientRuntime,
  event: string,
  callId: string,
  key: string,
  payload: Record<string, unknown>,
  error: unknown,
): Promise<'queued_for_retry' | 'duplicate'> {
  const reason = maskText(errorMessage(error)).slice(0, 1000);
  context.logger.error({ err: error, event, callId }, 'Retell event processing failed; kept for retry');
  const status = await context.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('webhook_events')
      .values({
        client_id: client.config.slug,
        provider: 'retell',
        idempotency_key: key,
        event_type: event,
        received_at: context.clock.now(),
        payload: json(payload),
        status: 'failed',
        error: reason,
      })
      .onConflict((conflict) => conflict.columns(['provider', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return 'duplicate' as const;
    await enqueue(trx, context.clock, {
      clientId: client.config.slug,
      kind: RETELL_EVENT_RETRY_KIND,
      payload: { webhookEventId: inserted.id },
      dedupeKey: `${RETELL_EVENT_RETRY_KIND}:${inserted.id}`,
      retry: { maxAttempts: client.config.retry.maxAttempts, intervalMs: client.config.retry.intervalSeconds * 1000 },
      callId,
    });
    return 'queued_for_retry' as const;
  });
  await context.alerts.raise({
    clientId: client.config.slug,
    source: 'retell.webhook',
    fingerprint: `retell.webhook:${event}:${error instanceof Error ? error.name : 'error'}`,
    message: `Processing Retell's ${event} failed (${reason}). The event is kept and will be retried automatically.`,
    callId,
  });
  return status;
}

/** Outbox handler body for `retell_event`: re-applies a kept event from its stored payload. */
export async function retryStoredEvent(context: AppContext, webhookEventId: number): Promise<'processed' | 'already_processed'> {
  const row = await context.db.selectFrom('webhook_events').selectAll().where('id', '=', webhookEventId).executeTakeFirst();
  if (!row || row.status === 'processed') return 'already_processed';
  const client = row.client_id ? context.clients.get(row.client_id) : undefined;
  if (!client) throw new Error(`Office ${row.client_id ?? '(none)'} is not configured any more.`);
  const payload = row.payload as { event: string; call: RetellCall };
  try {
    await process(context, client, row.event_type, payload.call, row.id, row.idempotency_key);
  } catch (error) {
    await context.db.updateTable('webhook_events').set({ error: maskText(errorMessage(error)).slice(0, 1000) }).where('id', '=', row.id).execute();
    throw error;
  }
  return 'processed';
}
