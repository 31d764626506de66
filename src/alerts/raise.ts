/**
 * The AlertPort: an alert becomes a masked row in `errors` (the dashboard's error log) and, the first time its
 * fingerprint shows up within the client's de-duplication window, one Slack post and one e-mail, both queued in
 * the outbox in the same transaction. Repeats inside the window only raise the row's count, so a burst of bad
 * signatures is one alert. Raising never throws: a broken alert path must not break the request that raised it.
 */
import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import { json } from '../db/json.js';
import { maskText, maskValue } from '../log/mask.js';
import { enqueue } from '../outbox/enqueue.js';
import type { AlertInput, AlertPort } from './types.js';

export const ALERT_SLACK_KIND = 'alert_slack';
export const ALERT_EMAIL_KIND = 'alert_email';
const DEFAULT_WINDOW_MINUTES = 10;

export interface RaisedAlert {
  errorId: number;
  /** false when folded into an earlier alert of the same fingerprint (count raised instead). */
  created: boolean;
}

export async function raiseAlert(context: AppContext, alert: AlertInput): Promise<RaisedAlert> {
  const client = alert.clientId ? context.clients.get(alert.clientId) : undefined;
  const clientId = client ? client.config.slug : null;
  const windowMinutes = client?.config.alerts.dedupeMinutes ?? DEFAULT_WINDOW_MINUTES;
  const message = maskText(alert.message).slice(0, 2000);
  const details = alert.details === undefined ? null : maskValue(alert.details, { maxDepth: 6, maxArrayLength: 50 });
  const fingerprint = alert.fingerprint.slice(0, 300);
  const now = context.clock.now();
  const windowStart = new Date(now.getTime() - windowMinutes * 60_000);

  return context.db.transaction().execute(async (trx) => {
    // Concurrent raises of one fingerprint queue up here, so exactly one of them creates the alert.
    await sql`select pg_advisory_xact_lock(hashtext(${`alert:${clientId ?? ''}:${fingerprint}`}))`.execute(trx);
    let query = trx
      .selectFrom('errors')
      .select(['id'])
      .where('fingerprint', '=', fingerprint)
      .where('first_seen_at', '>=', windowStart)
      .where('resolved_at', 'is', null)
      .orderBy('first_seen_at', 'desc')
      .limit(1);
    query = clientId === null ? query.where('client_id', 'is', null) : query.where('client_id', '=', clientId);
    const existing = await query.executeTakeFirst();
    if (existing) {
      await trx
        .updateTable('errors')
        .set((eb) => ({ count: eb('count', '+', 1), last_seen_at: now }))
        .where('id', '=', existing.id)
        .execute();
      await context.bus.publish({ type: 'error.updated', clientId: clientId ?? undefined, data: { id: existing.id } }, trx);
      return { errorId: existing.id, created: false };
    }
    const row = await trx
      .insertInto('errors')
      .values({
        client_id: clientId,
        source: alert.source.slice(0, 100),
        fingerprint,
        severity: alert.severity ?? 'error',
        message,
        details: details === null ? null : json(details),
        call_id: alert.callId ?? null,
        first_seen_at: now,
        last_seen_at: now,
        resolved_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (client) {
      const retry = { maxAttempts: client.config.retry.maxAttempts, intervalMs: client.config.retry.intervalSeconds * 1000 };
      const digestMs = client.config.alerts.digestMinutes * 60_000;
      if (digestMs > 0 && (alert.severity ?? 'error') !== 'critical') {
        await queueDigest(
          trx,
          context,
          client.config.slug,
          Boolean(client.secrets.slackWebhookUrl),
          Boolean(client.secrets.smtpUrl && client.config.alerts.emails.length > 0),
          digestMs,
          retry,
        );
        await context.bus.publish({ type: 'error.raised', clientId: clientId ?? undefined, data: { id: row.id } }, trx);
        return { errorId: row.id, created: true };
      }
      const payload = { errorId: row.id };
      if (client.secrets.slackWebhookUrl) {
        await enqueue(trx, context.clock, {
          clientId: client.config.slug,
          kind: ALERT_SLACK_KIND,
          payload,
          dedupeKey: `${ALERT_SLACK_KIND}:${row.id}`,
          retry,
          callId: alert.callId ?? null,
        });
      }
      if (client.secrets.smtpUrl && client.config.alerts.emails.length > 0) {
        await enqueue(trx, context.clock, {
          clientId: client.config.slug,
          kind: ALERT_EMAIL_KIND,
          payload,
          dedupeKey: `${ALERT_EMAIL_KIND}:${row.id}`,
          retry,
          callId: alert.callId ?? null,
        });
      }
    }
    await context.bus.publish({ type: 'error.raised', clientId: clientId ?? undefined, data: { id: row.id } }, trx);
    return { errorId: row.id, created: true };
  });
}

/**
 * Below critical, an office that asks for digests gets one Slack post and one e-mail per period listing every alert
 * first seen in it, sent when the period ends. The period's dedupe key makes the first alert of the period queue them
 * and every later one (on any instance) find them already queued: one digest per office per period.
 */
async function queueDigest(
  db: Parameters<typeof enqueue>[0],
  context: AppContext,
  clientId: string,
  slack: boolean,
  email: boolean,
  periodMs: number,
  retry: { maxAttempts: number; intervalMs: number },
): Promise<void> {
  const nowMs = context.clock.now().getTime();
  const from = new Date(Math.floor(nowMs / periodMs) * periodMs);
  const to = new Date(from.getTime() + periodMs);
  const payload = { digest: { from: from.toISOString(), to: to.toISOString() } };
  for (const [on, kind] of [
    [slack, ALERT_SLACK_KIND],
    [email, ALERT_EMAIL_KIND],
  ] as const) {
    if (!on) continue;
    await enqueue(db, context.clock, { clientId, kind, payload, dedupeKey: `${kind}:digest:${clientId}:${from.toISOString()}`, runAt: to, retry });
  }
}

export function createAlertPort(context: AppContext): AlertPort {
  return {
    async raise(alert) {
      try {
        await raiseAlert(context, alert);
      } catch (error) {
        context.logger.error({ err: error, source: alert.source, fingerprint: alert.fingerprint }, `Could not record alert: ${maskText(alert.message)}`);
      }
    },
  };
}
