import { sql, type Kysely } from 'kysely';

/**
 * Provider chains (issue 19): one circuit-breaker row per provider account, shared by every instance
 * (messaging/circuit-breaker.ts); which provider each send attempt of a queue item went to (so a lost answer is
 * reconciled at the provider that took it); and the provider and sender of each delivery (message history).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table provider_circuits (
      key text primary key,
      channel text not null,
      provider text not null,
      state text not null,
      consecutive_failures integer not null,
      window_started_at timestamptz not null,
      window_attempts integer not null,
      window_failures integer not null,
      opened_at timestamptz,
      probe_started_at timestamptz,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table message_provider_attempts (
      id bigserial primary key,
      outbox_id bigint not null,
      provider text not null,
      provider_key text not null,
      started_at timestamptz not null
    )`.execute(db);
  await sql`create index message_provider_attempts_outbox on message_provider_attempts (outbox_id, id)`.execute(db);
  await sql`alter table message_deliveries add column provider text`.execute(db);
  await sql`alter table message_deliveries add column sender text`.execute(db);
}
