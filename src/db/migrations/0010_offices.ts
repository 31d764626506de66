import { sql, type Kysely } from 'kysely';

/**
 * Offices as data: every change to an office's configuration is a new row in `client_versions` (the whole
 * validated document, who, when, how, and what changed), and `clients.current_version` names the one in
 * force. Secrets typed in the dashboard or the CLI are sealed in `client_secrets`, write-only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table clients add column current_version integer`.execute(db);
  await sql`alter table clients add column status text not null default 'active'`.execute(db);
  await sql`
    create table client_versions (
      id bigserial primary key,
      client_id text not null references clients (id) on delete cascade,
      version integer not null,
      document jsonb not null,
      author text not null,
      source text not null,
      source_file text,
      source_hash text,
      diff jsonb not null default '[]'::jsonb,
      created_at timestamptz not null default now(),
      unique (client_id, version)
    )`.execute(db);
  await sql`
    create table client_secrets (
      client_id text not null references clients (id) on delete cascade,
      name text not null,
      sealed text not null,
      updated_by text not null,
      updated_at timestamptz not null default now(),
      primary key (client_id, name)
    )`.execute(db);
}
