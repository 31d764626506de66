import { sql, type Kysely } from 'kysely';

/**
 * Analytics (issue 16): daily rollups per office-local day and the marks that say which days changed.
 *
 * - `analytics_daily`: one row per office, local day and figure (only non-zero values), written by
 *   `src/analytics/rollup.ts` from the one definition of every figure (`src/analytics/facts.ts`).
 * - `analytics_dirty`: (office, UTC day) whose rows changed since their rollup was computed. Triggers on every
 *   table a figure counts write the mark in the same transaction as the change, so no code path can forget it;
 *   UTC days because a trigger does not know the office's zone (a UTC day covers at most two local days, both
 *   recomputed). Readers and the worker turn marks into fresh rollup rows.
 * - Indexes for reading a range of an office's rows by the moment each figure is dated by.
 * - `users.digest_opt_out`: a user's choice not to get the weekly digest e-mail (changes are audited).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table analytics_daily (
    client_id text not null,
    day date not null,
    metric text not null,
    value double precision not null,
    primary key (client_id, day, metric)
  )`.execute(db);
  await sql`create table analytics_dirty (
    client_id text not null,
    day_utc date not null,
    primary key (client_id, day_utc)
  )`.execute(db);

  await sql`create function analytics_touch(p_client text, p_at timestamptz) returns void language plpgsql as $$
    begin
      if p_client is not null and p_at is not null then
        insert into analytics_dirty (client_id, day_utc) values (p_client, (p_at at time zone 'UTC')::date)
        on conflict do nothing;
      end if;
    end $$`.execute(db);

  // One trigger function per table: each knows the moment that table's figures are dated by.
  const triggers: Array<{ table: string; events: string; when?: string; old?: string; fresh: string }> = [
    {
      table: 'calls',
      events: 'insert or update or delete',
      old: 'coalesce(old.started_at, old.created_at)',
      fresh: 'coalesce(new.started_at, new.created_at)',
    },
    {
      table: 'appointments',
      events: 'insert or update or delete',
      old: '(select coalesce(c.started_at, c.created_at) from calls c where c.id = old.call_id)',
      fresh: '(select coalesce(c.started_at, c.created_at) from calls c where c.id = new.call_id)',
    },
    { table: 'message_deliveries', events: 'insert or update', fresh: 'new.created_at' },
    { table: 'consent_history', events: 'insert', fresh: 'new.changed_at' },
    { table: 'inbound_messages', events: 'insert', fresh: 'new.received_at' },
    { table: 'callback_tasks', events: 'insert or update', fresh: 'new.created_at' },
    { table: 'errors', events: 'insert or update', fresh: 'new.first_seen_at' },
  ];
  for (const trigger of triggers) {
    const oldPart = trigger.old ? `if tg_op <> 'INSERT' then perform analytics_touch(old.client_id, ${trigger.old}); end if;` : '';
    const freshPart = trigger.old
      ? `if tg_op <> 'DELETE' then perform analytics_touch(new.client_id, ${trigger.fresh}); end if;`
      : `perform analytics_touch(new.client_id, ${trigger.fresh});`;
    await sql
      .raw(
        `create function analytics_${trigger.table}_changed() returns trigger language plpgsql as $$
        begin ${oldPart} ${freshPart} return null; end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger analytics_${trigger.table} after ${trigger.events} on ${trigger.table}
        for each row execute function analytics_${trigger.table}_changed()`,
      )
      .execute(db);
  }
  // A text or e-mail that failed before any provider took it is a dead outbox row without a delivery.
  await sql`create function analytics_outbox_changed() returns trigger language plpgsql as $$
    begin perform analytics_touch(new.client_id, coalesce(new.finished_at, new.updated_at)); return null; end $$`.execute(db);
  await sql`create trigger analytics_outbox_insert after insert on outbox for each row
    when (new.kind in ('sms', 'email') and new.status = 'dead') execute function analytics_outbox_changed()`.execute(db);
  await sql`create trigger analytics_outbox_update after update on outbox for each row
    when (new.kind in ('sms', 'email') and (new.status = 'dead' or old.status = 'dead')) execute function analytics_outbox_changed()`.execute(db);

  await sql`create index calls_client_moment on calls (client_id, (coalesce(started_at, created_at)))`.execute(db);
  await sql`create index message_deliveries_client_created on message_deliveries (client_id, created_at)`.execute(db);
  await sql`create index outbox_dead_messages on outbox (client_id, (coalesce(finished_at, updated_at)))
    where status = 'dead' and kind in ('sms', 'email')`.execute(db);
  await sql`create index consent_history_client_changed on consent_history (client_id, changed_at) where status = 'opted_out'`.execute(db);
  await sql`create index inbound_messages_client_received on inbound_messages (client_id, received_at)`.execute(db);
  await sql`create index callback_tasks_client_created on callback_tasks (client_id, created_at)`.execute(db);
  // The show rate with and without a reminder looks up each appointment's reminders.
  await sql`create index if not exists outbox_appointment on outbox (appointment_id) where appointment_id is not null`.execute(db);
  await sql`create index errors_client_first_seen on errors (client_id, first_seen_at) where client_id is not null`.execute(db);

  await sql`alter table users add column digest_opt_out boolean not null default false`.execute(db);
}
