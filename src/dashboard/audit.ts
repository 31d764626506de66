/** The audit log: who changed what in the dashboard, when, with the state before and after. */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';

export interface AuditEntry {
  actor: string;
  clientId: string | null;
  action: string;
  target?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Call with the same transaction as the change, so an audited change and its audit row commit together. */
export async function writeAudit(db: Kysely<DB>, clock: Clock, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit')
    .values({
      at: clock.now(),
      actor: entry.actor,
      client_id: entry.clientId,
      action: entry.action,
      target: entry.target ?? null,
      before: entry.before === undefined ? null : json(entry.before),
      after: entry.after === undefined ? null : json(entry.after),
    })
    .execute();
}
