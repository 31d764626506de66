/**
 * One alert when an outbox row that talks to a vendor is about to go dead because the vendor kept failing (its
 * last attempt ended in a retryable error): without it a Twilio, SMTP or Zoho Calendar outage longer than the
 * retry policy (3 attempts a minute apart by default) would leave dead letters nobody is told about. The
 * fingerprint is per client and kind, so an outage that kills a hundred texts is one alert whose count grows
 * (the alerts module folds repeats within its window). Permanent errors (a bad number, an opted-out recipient)
 * are the message's own problem and are not alerted here.
 */
import type { AppContext } from '../app-context.js';
import { errorMessage, isRetryable } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { maskText } from '../log/mask.js';

export interface GaveUp {
  /** e.g. `messaging.sms` (also the fingerprint's prefix). */
  source: string;
  /** What the row was, for a person: "The text", "The e-mail", "The calendar change". */
  what: string;
  /** Where staff send it again. */
  retryHint: string;
  details?: Record<string, unknown>;
}

/** Raises the alert when `error` ends the row's last attempt and a retry could have fixed it; never throws. */
export async function alertIfGivingUp(context: AppContext, row: OutboxRow, attempt: number, error: unknown, gaveUp: GaveUp): Promise<void> {
  if (!isRetryable(error) || attempt < row.max_attempts) return;
  try {
    await context.alerts.raise({
      clientId: row.client_id,
      source: gaveUp.source,
      fingerprint: `${gaveUp.source}:gave_up:${row.client_id}`,
      severity: 'error',
      callId: row.call_id,
      message: maskText(
        `${gaveUp.what} (queue item ${row.id}) gave up after ${attempt} attempt(s): ${errorMessage(error)} ` +
          `When the service works again, ${gaveUp.retryHint}`,
      ),
      details: {
        outboxId: row.id,
        kind: row.kind,
        attempts: attempt,
        ...gaveUp.details,
      },
    });
  } catch (failure) {
    context.logger.error({ err: failure, outboxId: row.id }, 'Could not raise the gave-up alert');
  }
}

/**
 * One alert per client and kind when a row becomes `unknown`: nobody can tell whether its effect happened (a text or
 * e-mail may have gone out), so it is neither retried nor dead and only a person can decide. Never throws.
 */
export async function alertOutcomeUnknown(
  context: AppContext,
  row: OutboxRow,
  unknown: { source: string; message: string; details?: Record<string, unknown> },
): Promise<void> {
  try {
    await context.alerts.raise({
      clientId: row.client_id,
      source: unknown.source,
      fingerprint: `${unknown.source}:unknown:${row.client_id}`,
      severity: 'error',
      callId: row.call_id,
      message: maskText(unknown.message),
      details: { outboxId: row.id, kind: row.kind, ...unknown.details },
    });
  } catch (failure) {
    context.logger.error({ err: failure, outboxId: row.id }, 'Could not raise the unknown-outcome alert');
  }
}
