/**
 * One CRM sync per caller at a time, so two calls from the same new number end with one lead (Zoho's search
 * index lags behind a create, so "search, then create" is only safe when nobody else is doing it at once).
 *
 * Within one process a promise chain queues syncs for the same customer. Across instances the customer's
 * crm_links row carries a short lease: a sync that finds it held moves its outbox row a little later instead
 * of waiting. A lease rather than a transaction held open with FOR UPDATE, because a sync talks to Zoho for
 * seconds and PGlite has a single connection that the token refresh needs meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { DB } from '../db/schema.js';
import type { CrmLinksTable } from '../db/tables/crm.js';
import type { Selectable } from 'kysely';

export type CrmLink = Selectable<CrmLinksTable>;

export const LEASE_MS = 2 * 60_000;

const instanceId = `crm-${randomUUID().slice(0, 8)}`;
const queues = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier in-process job with the same key has finished. */
async function queued<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  try {
    return await run;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}

/** Takes the lease on the customer's link row (creating the row), or returns undefined when another holder has it. */
async function takeLease(
  db: Kysely<DB>,
  clock: Clock,
  input: { clientId: string; customerId: number; phone: string },
  holder: string,
): Promise<CrmLink | undefined> {
  const now = clock.now();
  const until = new Date(now.getTime() + LEASE_MS);
  const result = await sql<CrmLink>`
    insert into crm_links (client_id, customer_id, phone, locked_by, locked_until, created_at, updated_at)
    values (${input.clientId}, ${input.customerId}, ${input.phone}, ${holder}, ${until}, ${now}, ${now})
    on conflict (customer_id) do update set locked_by = excluded.locked_by, locked_until = excluded.locked_until,
      updated_at = excluded.updated_at
    where crm_links.locked_until is null or crm_links.locked_until < ${now}
    returning *`.execute(db);
  return result.rows[0];
}

async function releaseLease(db: Kysely<DB>, customerId: number, holder: string): Promise<void> {
  await db
    .updateTable('crm_links')
    .set({ locked_by: null, locked_until: null })
    .where('customer_id', '=', customerId)
    .where('locked_by', '=', holder)
    .execute();
}

export type LockOutcome<T> = { ok: true; value: T } | { ok: false; heldBy: string | null };

/** Runs `work` holding the customer's CRM lock; `ok: false` when another instance holds it right now. */
export async function withCustomerLock<T>(
  db: Kysely<DB>,
  clock: Clock,
  input: { clientId: string; customerId: number; phone: string },
  work: (link: CrmLink) => Promise<T>,
): Promise<LockOutcome<T>> {
  return queued(`${input.clientId}:${input.customerId}`, async () => {
    const holder = `${instanceId}-${randomUUID().slice(0, 8)}`;
    const link = await takeLease(db, clock, input, holder);
    if (!link) {
      const current = await db.selectFrom('crm_links').select('locked_by').where('customer_id', '=', input.customerId).executeTakeFirst();
      return { ok: false, heldBy: current?.locked_by ?? null };
    }
    try {
      return { ok: true, value: await work(link) };
    } finally {
      await releaseLease(db, input.customerId, holder);
    }
  });
}
