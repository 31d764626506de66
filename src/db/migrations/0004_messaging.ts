/**
 * Messaging tables: what Twilio and the mail server told us about each sent message (deliveries + the raw
 * status-callback events, de-duplicated on (MessageSid, MessageStatus)), texts people sent us, and the
 * marketing sends the per-state "at most N per 24 h" rule counts.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('message_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('outbox_id', 'bigint')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull().unique())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_rank', 'integer', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('segments', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index message_deliveries_outbox on message_deliveries (outbox_id)`.execute(db);

  await db.schema
    .createTable('message_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('message_sid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('message_events_sid_status', ['message_sid', 'status'])
    .execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('provider_id', 'text', (c) => c.notNull().unique())
    .addColumn('from_number', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('read_at', 'timestamptz')
    .execute();
  await sql`create index inbound_messages_recent on inbound_messages (client_id, received_at desc)`.execute(db);

  await db.schema
    .createTable('marketing_sends')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('outbox_id', 'bigint')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index marketing_sends_recent on marketing_sends (client_id, channel, address, sent_at)`.execute(db);
}
