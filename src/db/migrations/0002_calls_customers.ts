/** Calls, caller memory (customers), consent (+ history), callback tasks and function invocations (Retell work). */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('preferred_language', 'text')
    .addColumn('notes', 'text')
    .addColumn('first_call_at', 'timestamptz')
    .addColumn('last_call_at', 'timestamptz')
    .addColumn('call_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_call_id', 'text')
    .addColumn('last_summary', 'text')
    .addColumn('last_intent', 'text')
    .addColumn('last_outcome', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('customers_client_phone', ['client_id', 'phone'])
    .execute();
  await sql`create index customers_client_last_call on customers (client_id, last_call_at desc nulls last)`.execute(db);

  await db.schema
    .createTable('calls')
    // Retell's call id: globally unique, and the id every other table (outbox, appointments) refers to.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('agent_id', 'text')
    .addColumn('agent_version', 'integer')
    .addColumn('call_type', 'text')
    .addColumn('direction', 'text')
    .addColumn('from_number', 'text')
    .addColumn('to_number', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ringing','in_progress','ended','analyzed')`))
    /** Rank of the most advanced event applied (inbound 0 … analyzed 4): later-stage data wins, whatever the arrival order. */
    .addColumn('stage', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('events', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('duration_ms', 'integer')
    .addColumn('disconnection_reason', 'text')
    .addColumn('transcript', 'text')
    .addColumn('transcript_object', 'jsonb')
    .addColumn('recording_url', 'text')
    .addColumn('public_log_url', 'text')
    .addColumn('summary', 'text')
    .addColumn('sentiment', 'text')
    .addColumn('successful', 'boolean')
    .addColumn('in_voicemail', 'boolean')
    .addColumn('custom_analysis', 'jsonb')
    .addColumn('intent', 'text')
    .addColumn('outcome', 'text')
    .addColumn('metadata', 'jsonb')
    .addColumn('dynamic_variables', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index calls_client_recent on calls (client_id, created_at desc)`.execute(db);
  await sql`create index calls_customer on calls (customer_id, created_at desc)`.execute(db);

  await db.schema
    .createTable('consents')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('sms','email')`))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('marketing','transactional')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('opted_in','opted_out')`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('consents_subject', ['client_id', 'channel', 'address', 'purpose'])
    .execute();

  await db.schema
    .createTable('consent_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index consent_history_address on consent_history (client_id, address, id)`.execute(db);
  // Call outcome looks up opt-outs made during a call by actor `call:<id>`.
  await sql`create index consent_history_actor on consent_history (actor) where actor is not null`.execute(db);

  await db.schema
    .createTable('callback_tasks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('call_id', 'text')
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('phone', 'text')
    .addColumn('name', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('preferred_time', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open','done','cancelled')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .addColumn('completed_by', 'text')
    .execute();
  await sql`create index callback_tasks_open on callback_tasks (client_id, status, created_at)`.execute(db);
  await sql`create index callback_tasks_call on callback_tasks (call_id) where call_id is not null`.execute(db);

  await db.schema
    .createTable('function_invocations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('args_hash', 'text', (c) => c.notNull())
    .addColumn('args', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running','done')`))
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('function_invocations_once', ['call_id', 'name', 'args_hash'])
    .execute();
}
