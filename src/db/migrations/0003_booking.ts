/**
 * Zoho connections (tokens sealed at rest), appointments, and the per-slot lock rows that make double
 * booking impossible: btree_gist (and so an exclusion constraint) is not available on PGlite, so every
 * appointment owns one row per 5-minute cell it blocks and the primary key on (client, cell) decides races.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_connections')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('data_center', 'text', (c) => c.notNull())
    .addColumn('accounts_server', 'text', (c) => c.notNull())
    .addColumn('api_domain', 'text', (c) => c.notNull())
    .addColumn('refresh_token_sealed', 'text', (c) => c.notNull())
    .addColumn('access_token_sealed', 'text')
    .addColumn('access_expires_at', 'timestamptz')
    .addColumn('owner_email', 'text')
    .addColumn('scopes', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('ok')
        .check(sql`status in ('ok','refreshing','broken')`),
    )
    .addColumn('last_error', 'text')
    .addColumn('refresh_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('connected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('refreshed_at', 'timestamptz')
    .addColumn('broken_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('oauth_connections_client_provider', ['client_id', 'provider'])
    .execute();

  await db.schema
    .createTable('appointments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('booking_id', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('call_id', 'text')
    .addColumn('appointment_type', 'text', (c) => c.notNull())
    .addColumn('start_at', 'timestamptz', (c) => c.notNull())
    .addColumn('end_at', 'timestamptz', (c) => c.notNull())
    .addColumn('block_end_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('held','booked','cancelled','released')`))
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('hold_expires_at', 'timestamptz')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('calendar_event_id', 'text')
    .addColumn('calendar_etag', 'text')
    .addColumn('caller_name', 'text')
    .addColumn('caller_phone', 'text')
    .addColumn('caller_email', 'text')
    .addColumn('notes', 'text')
    .addColumn('previous_start_at', 'timestamptz')
    .addColumn('drift', 'text')
    .addColumn('drift_checked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('booked_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .execute();
  await sql`create index appointments_client_start on appointments (client_id, start_at) where status in ('held','booked')`.execute(db);
  await sql`create index appointments_phone on appointments (client_id, caller_phone, start_at)`.execute(db);
  await sql`create index appointments_call on appointments (call_id) where call_id is not null`.execute(db);

  await db.schema
    .createTable('appointment_slot_locks')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('cell_start', 'timestamptz', (c) => c.notNull())
    .addColumn('appointment_id', 'bigint', (c) => c.notNull().references('appointments.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('appointment_slot_locks_pk', ['client_id', 'cell_start'])
    .execute();
  await sql`create index appointment_slot_locks_appointment on appointment_slot_locks (appointment_id)`.execute(db);
}
