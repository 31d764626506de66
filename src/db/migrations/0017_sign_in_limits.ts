import { sql, type Kysely } from 'kysely';

/**
 * Sign-in limits shared by every instance (dashboard/auth/sign-in-limits.ts): one counter row per account
 * (`account:<e-mail>`), per client address (`address:<ip or IPv6 /64>`) and one `global` row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sign_in_limits (
      key text primary key,
      attempts integer not null,
      window_started_at timestamptz not null,
      blocked_until timestamptz,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index sign_in_limits_updated on sign_in_limits (updated_at)`.execute(db);
}
