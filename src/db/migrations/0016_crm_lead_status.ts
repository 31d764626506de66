import { sql, type Kysely } from 'kysely';

/**
 * The lead status a CRM sync last wrote, and the call outcome it came from: a later sync only moves the status
 * forward from there, and leaves it alone when the lead shows something else (a person changed it in the CRM).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table crm_links add column lead_status text, add column lead_status_outcome text`.execute(db);
}
