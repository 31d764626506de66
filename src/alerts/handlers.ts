/**
 * Outbox handlers that deliver an alert to Slack and to the office's alert e-mail addresses. Both are safe to
 * repeat (a duplicate alert is a nuisance, not harm). The text is built at send time from the (already masked)
 * errors row, so it carries the count of repeats seen so far.
 */
import type { AppContext } from '../app-context.js';
import { PermanentError, VendorError } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { Reschedule, type OutboxHandler } from '../outbox/handlers.js';
import { createMailerPool } from '../providers/smtp/mailer.js';
import { postSlackMessage } from '../providers/slack/webhook.js';

interface AlertMessage {
  /** One line (Slack) / the first line of the e-mail. */
  text: string;
  subject: string;
  firstSeen: Date;
}

/** A single alert, or a digest of every non-critical alert first seen in the period `payload.digest`. */
async function loadMessage(context: AppContext, row: OutboxRow) {
  const digest = row.payload.digest as { from: string; to: string } | undefined;
  if (!digest) {
    const { error, client } = await loadAlert(context, row);
    const message: AlertMessage = {
      text: alertText(client.config.name, error),
      subject: `Switchboard alert for ${client.config.name}: ${error.source}`,
      firstSeen: error.first_seen_at,
    };
    return { client, message };
  }
  const client = context.clients.get(row.client_id);
  if (!client) throw new PermanentError(`Client ${row.client_id} is no longer configured.`, 'client_missing');
  const errors = await context.db
    .selectFrom('errors')
    .selectAll()
    .where('client_id', '=', row.client_id)
    .where('first_seen_at', '>=', new Date(digest.from))
    .where('first_seen_at', '<', new Date(digest.to))
    .where('severity', '!=', 'critical')
    .orderBy('first_seen_at')
    .execute();
  const lines = errors.map((error) => `• ${alertText(client.config.name, error).replace(`[${client.config.name}] `, '')}`);
  const count = `${errors.length} alert${errors.length === 1 ? '' : 's'}`;
  const text = [`[${client.config.name}] ${count} from ${digest.from} to ${digest.to}:`, ...lines].join('\n');
  const message: AlertMessage = { text, subject: `Switchboard alert digest for ${client.config.name}: ${count}`, firstSeen: new Date(digest.from) };
  return { client, message };
}

async function loadAlert(context: AppContext, row: OutboxRow) {
  const errorId = Number(row.payload.errorId);
  const error = await context.db.selectFrom('errors').selectAll().where('id', '=', errorId).executeTakeFirst();
  if (!error) throw new PermanentError(`Alert ${errorId} no longer exists.`, 'alert_missing');
  const client = context.clients.get(row.client_id);
  if (!client) throw new PermanentError(`Client ${row.client_id} is no longer configured.`, 'client_missing');
  return { error, client };
}

function alertText(officeName: string, error: { source: string; message: string; count: number; call_id: string | null; severity: string }) {
  const repeats = error.count > 1 ? ` (seen ${error.count} times)` : '';
  const call = error.call_id ? ` Call: ${error.call_id}.` : '';
  return `[${officeName}] ${error.severity.toUpperCase()} in ${error.source}${repeats}: ${error.message}${call}`;
}

export function slackAlertHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    housekeeping: { payloadKey: 'digest' },
    async run(row) {
      const { message, client } = await loadMessage(context, row);
      const url = client.secrets.slackWebhookUrl;
      if (!url) throw new PermanentError('Slack alerts are not configured for this office.', 'not_configured');
      try {
        return await postSlackMessage(url, { text: message.text });
      } catch (failure) {
        const retryAfter = failure instanceof VendorError ? (failure.response as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds : undefined;
        if (failure instanceof VendorError && failure.status === 429 && retryAfter !== undefined) {
          throw new Reschedule(new Date(context.clock.now().getTime() + retryAfter * 1000), `Slack asked to wait ${retryAfter} s`);
        }
        throw failure;
      }
    },
  };
}

export function emailAlertHandler(context: AppContext): OutboxHandler {
  const mailers = createMailerPool();
  context.onClose.push(() => mailers.close());
  return {
    safeToRepeat: true,
    housekeeping: { payloadKey: 'digest' },
    async run(row) {
      const { message, client } = await loadMessage(context, row);
      const smtpUrl = client.secrets.smtpUrl;
      if (!smtpUrl) throw new PermanentError('E-mail is not configured for this office.', 'not_configured');
      const mailer = mailers.mailerFor(smtpUrl);
      const text = [
        message.text,
        '',
        `First seen: ${message.firstSeen.toISOString()}`,
        `Open the Switchboard dashboard's error log for details: ${context.publicBaseUrl}`,
      ].join('\n');
      // At least once (a lost alert hides an outage, a repeated one is a nuisance): a reply lost after the server had
      // the message sends it again, with the same Message-ID so a mailbox can show the copies as one.
      return mailer.send({
        reference: `sb.alert.${row.id}`,
        from: client.config.senders.email.from,
        to: client.config.alerts.emails.join(', '),
        subject: message.subject,
        text,
      });
    },
  };
}
