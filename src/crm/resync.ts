/**
 * Re-queues CRM syncs for a client's calls since a moment (after an outage, a fixed field mapping, a
 * reconnected Zoho). Idempotent: the same request twice queues nothing new, and a call whose sync is still
 * waiting in the outbox is left to it.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';
import { enqueueCrmSync } from './enqueue.js';

export interface ResyncResult {
  calls: number;
  queued: number;
  alreadyQueued: number;
}

/** "7d", "24h", "90m" before now, or an ISO date/time. */
export function parseSince(text: string, now: Date): Date | undefined {
  const relative = /^(\d+)\s*([dhm])$/i.exec(text.trim());
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2]!.toLowerCase() as 'd' | 'h' | 'm'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

export async function resyncCrm(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clients' | 'clock'>,
  input: { clientId: string; since: Date },
): Promise<ResyncResult> {
  const calls = await db
    .selectFrom('calls')
    .select(['id', 'customer_id'])
    .where('client_id', '=', input.clientId)
    .where('customer_id', 'is not', null)
    .where((eb) => eb.or([eb('started_at', '>=', input.since), eb('created_at', '>=', input.since)]))
    .orderBy('created_at')
    .execute();
  const result: ResyncResult = { calls: calls.length, queued: 0, alreadyQueued: 0 };
  for (const call of calls) {
    const pending = await db
      .selectFrom('outbox')
      .select('id')
      .where('kind', '=', 'crm_sync')
      .where('call_id', '=', call.id)
      .where('status', 'in', ['scheduled', 'failed', 'running'])
      .executeTakeFirst();
    if (pending) {
      result.alreadyQueued += 1;
      continue;
    }
    const queued = await enqueueCrmSync(db, context, {
      clientId: input.clientId,
      purpose: 'resync',
      callId: call.id,
      customerId: call.customer_id,
      version: input.since.toISOString(),
    });
    if (queued.created) result.queued += 1;
    else result.alreadyQueued += 1;
  }
  return result;
}
