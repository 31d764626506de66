/**
 * The caller memory: one customer per (client, E.164 phone). Other modules find or create the caller here
 * and update the fields a call taught us (name, e-mail, notes, last summary and intent).
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import { byCodeUnits } from '../core/canonical.js';
import type { Clock } from '../core/clock.js';
import type { DB } from '../db/schema.js';
import type { CustomerRow, CustomersTable } from '../db/tables/calls.js';

export type CustomerFields = Partial<
  Pick<
    Updateable<CustomersTable>,
    'name' | 'email' | 'preferred_language' | 'preferred_language_source' | 'notes' | 'last_summary' | 'last_intent' | 'last_outcome' | 'last_call_id'
  >
>;

export async function findCustomerByPhone(db: Kysely<DB>, clientId: string, phoneE164: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('client_id', '=', clientId).where('phone', '=', phoneE164).executeTakeFirst();
}

export async function findCustomerById(db: Kysely<DB>, id: number): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The caller for this number, created on first contact. Safe under concurrency: the unique (client, phone)
 * constraint decides, and a loser of the race reads the winner's row. `fields` fill only what is still empty
 * on an existing customer (a stored name is not overwritten by a guess).
 */
export async function findOrCreateCustomer(
  db: Kysely<DB>,
  clock: Clock,
  clientId: string,
  phoneE164: string,
  fields: CustomerFields = {},
): Promise<CustomerRow> {
  const now = clock.now();
  const inserted = await db
    .insertInto('customers')
    .values({ client_id: clientId, phone: phoneE164, ...fields, created_at: now, updated_at: now })
    .onConflict((conflict) => conflict.columns(['client_id', 'phone']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  const existing = await findCustomerByPhone(db, clientId, phoneE164);
  if (!existing) throw new Error(`Customer for ${clientId} vanished during findOrCreateCustomer`);
  const missing: CustomerFields = {};
  for (const [key, value] of Object.entries(fields) as [keyof CustomerFields, string | null | undefined][]) {
    if (value !== undefined && value !== null && (existing[key] === null || existing[key] === undefined)) {
      missing[key] = value;
    }
  }
  if (Object.keys(missing).length === 0) return existing;
  return updateCustomer(db, clock, existing.id, missing);
}

export async function updateCustomer(db: Kysely<DB>, clock: Clock, id: number, fields: CustomerFields): Promise<CustomerRow> {
  return db
    .updateTable('customers')
    .set({ ...fields, updated_at: clock.now() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Counts a call against the customer once (the caller links a call to a customer only when the call row
 * had none), keeping first/last call times ordered whatever order calls are processed in.
 */
export async function recordCallForCustomer(db: Kysely<DB>, clock: Clock, customerId: number, callId: string, callAt: Date): Promise<void> {
  const customer = await db
    .selectFrom('customers')
    .select(['first_call_at', 'last_call_at'])
    .where('id', '=', customerId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const isLatest = !customer.last_call_at || customer.last_call_at.getTime() <= callAt.getTime();
  await db
    .updateTable('customers')
    .set((eb) => ({
      call_count: eb('call_count', '+', 1),
      first_call_at: !customer.first_call_at || customer.first_call_at.getTime() > callAt.getTime() ? callAt : customer.first_call_at,
      ...(isLatest ? { last_call_at: callAt, last_call_id: callId } : {}),
      updated_at: clock.now(),
    }))
    .where('id', '=', customerId)
    .execute();
}

/**
 * Locks the callers a batch of call events is about to count (`countCallForCaller`), in one statement ordered by
 * office and phone, so two batches never take the same two callers in opposite orders. A caller not known yet gets
 * its row now, with no call counted: the count that follows in the same transaction fills the call fields (`least`
 * and the "is this the latest call" rule both treat the empty fields as unset).
 */
export async function lockCallers(db: Kysely<DB>, clock: Clock, callers: ReadonlyArray<{ clientId: string; phone: string }>): Promise<void> {
  if (callers.length === 0) return;
  const now = clock.now();
  const sorted = [...callers].sort((a, b) => byCodeUnits(a.clientId, b.clientId) || byCodeUnits(a.phone, b.phone));
  await db
    .insertInto('customers')
    .values(sorted.map((caller) => ({ client_id: caller.clientId, phone: caller.phone, call_count: 0, created_at: now, updated_at: now })))
    .onConflict((conflict) => conflict.columns(['client_id', 'phone']).doUpdateSet((eb) => ({ updated_at: eb.ref('customers.updated_at') })))
    .execute();
}

/**
 * Finds or creates the caller for a call and counts the call, in one statement (call intake's hot path):
 * the same rules as `findOrCreateCustomer` + `recordCallForCustomer`, with the unique (client, phone) key
 * deciding races and the row locked by the upsert. Returns the customer id.
 */
export async function countCallForCaller(
  db: Kysely<DB>,
  clock: Clock,
  input: { clientId: string; phoneE164: string; callId: string; callAt: Date },
): Promise<number> {
  const now = clock.now();
  // Every SET expression reads the row as it was, so "is this the latest call" is judged once for both columns.
  const isLatest = sql<boolean>`(customers.last_call_at is null or customers.last_call_at <= excluded.last_call_at)`;
  const row = await db
    .insertInto('customers')
    .values({
      client_id: input.clientId,
      phone: input.phoneE164,
      call_count: 1,
      first_call_at: input.callAt,
      last_call_at: input.callAt,
      last_call_id: input.callId,
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.columns(['client_id', 'phone']).doUpdateSet((eb) => ({
        call_count: eb('customers.call_count', '+', 1),
        first_call_at: sql<Date>`least(customers.first_call_at, excluded.first_call_at)`,
        last_call_at: sql<Date>`case when ${isLatest} then excluded.last_call_at else customers.last_call_at end`,
        last_call_id: sql<string>`case when ${isLatest} then excluded.last_call_id else customers.last_call_id end`,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
