/**
 * CRM sync state: which Zoho lead stands for which caller (one per customer, the serialisation point for
 * parallel syncs), and which note was written for which call, so a repeated sync finds its earlier effects.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crm_links')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    // No foreign key to customers: the CRM state may outlive a deleted customer (the lead stays in Zoho).
    .addColumn('customer_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('lead_id', 'text')
    .addColumn('phone', 'text')
    // A lease, not a held transaction: a sync calls Zoho for seconds and PGlite has a single connection.
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('synced_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index crm_links_lead on crm_links (client_id, lead_id) where lead_id is not null`.execute(db);

  await db.schema
    .createTable('crm_notes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('lead_id', 'text', (c) => c.notNull())
    .addColumn('note_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('crm_notes_call_purpose', ['client_id', 'call_id', 'purpose'])
    .execute();

  await db.schema
    .createTable('crm_connection_health')
    .addColumn('client_id', 'text', (c) => c.primaryKey().references('clients.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'warning', 'broken')`))
    .addColumn('detail', 'text')
    .addColumn('api_domain', 'text')
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
