import { sql, type Kysely } from 'kysely';

/**
 * When an attempt's outcome is unknown (a vendor's answer was lost, or the process running it died) and the kind can
 * reconcile, the moment that attempt started: the next run looks for its effect from then on before acting again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column unsettled_since timestamptz`.execute(db);
}
