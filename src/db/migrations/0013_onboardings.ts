import { sql, type Kysely } from 'kysely';

/** The onboarding wizard's progress per new office: answers and results per step, so it can be resumed and re-run. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table onboardings (
      id text primary key,
      client_id text,
      answers jsonb not null default '{}'::jsonb,
      results jsonb not null default '{}'::jsonb,
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      finished_at timestamptz,
      removed_at timestamptz
    )`.execute(db);
  await sql`create unique index onboardings_client on onboardings (client_id) where removed_at is null`.execute(db);
}
