/**
 * The `crm_sync` outbox handler. Safe to repeat: the sync records each effect in the CRM as it happens and
 * finds it again on a rerun. When a row is about to go dead (permanent error, or the last attempt failed)
 * staff get one alert naming the reason and the call, masked.
 */
import type { AppContext } from '../app-context.js';
import { errorMessage, isRetryable } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { maskText } from '../log/mask.js';
import { Reschedule, type OutboxHandler } from '../outbox/handlers.js';
import type { CrmFactory } from './port.js';
import { callLink, runCrmSync, type CrmSyncPayload } from './sync.js';

export const CRM_SYNC_KIND = 'crm_sync';

export function readPayload(row: OutboxRow): CrmSyncPayload {
  const payload = row.payload as Partial<CrmSyncPayload>;
  return {
    purpose: payload.purpose ?? 'resync',
    callId: payload.callId ?? row.call_id ?? null,
    customerId: payload.customerId ?? row.customer_id ?? null,
    appointmentId: payload.appointmentId ?? row.appointment_id ?? null,
  };
}

export function crmSyncHandler(context: AppContext, crmFor: CrmFactory): OutboxHandler {
  return {
    safeToRepeat: true,
    keepFinished: true,
    async run(row, run) {
      const payload = readPayload(row);
      let vendorName = 'CRM';
      try {
        // An unknown office or a sync turned off (crm.provider none) needs no port: runCrmSync decides before using it.
        const crm = context.clients.get(row.client_id)?.config.crm.enabled ? crmFor(row.client_id) : undefined;
        vendorName = crm?.vendorName ?? vendorName;
        return await runCrmSync(context, crm, { clientId: row.client_id, payload });
      } catch (error) {
        if (error instanceof Reschedule) throw error;
        const goesDead = !isRetryable(error) || run.attempt >= row.max_attempts;
        if (goesDead) await alertDeadSync(context, row, payload, error, vendorName);
        throw error;
      }
    },
  };
}

async function alertDeadSync(context: AppContext, row: OutboxRow, payload: CrmSyncPayload, error: unknown, vendorName: string) {
  const code = (error as { code?: unknown })?.code;
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
  const subject = payload.callId ? `call ${payload.callId}` : payload.appointmentId ? `appointment ${payload.appointmentId}` : `customer ${payload.customerId}`;
  const link = payload.callId ? callLink(context, payload.callId) : undefined;
  await context.alerts.raise({
    clientId: row.client_id,
    source: 'crm.sync',
    fingerprint: `crm.sync:${row.client_id}:${reason}`,
    severity: 'error',
    callId: payload.callId,
    message: maskText(
      `${vendorName} sync for ${subject} (${payload.purpose}) stopped after ${row.attempts} attempt(s): ${errorMessage(error)} ` +
        `Fix the cause, then retry outbox row ${row.id} from the dashboard.`,
    ),
    details: { outboxId: row.id, purpose: payload.purpose, code: reason, attempts: row.attempts, ...(link ? { callLink: link } : {}) },
  });
}
