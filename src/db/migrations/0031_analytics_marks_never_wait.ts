import { sql, type Kysely } from 'kysely';

/**
 * A day's "changed" mark (`analytics_dirty`) no longer has a unique key, and `analytics_touch` inserts a mark for
 * every change instead of `on conflict do nothing` (session 10). With the key, a transaction inserting the mark of a
 * day another open transaction had just marked waited for that transaction to end, in the middle of a statement
 * (the trigger): two transactions that mark two days (a call's creation day and its start day, around UTC midnight)
 * or mark a day and then lock a row the other holds (a booking's hold and a batch of call events) deadlocked on
 * PostgreSQL. Without it, inserting a mark never waits for anyone. It is also the only correct reading of a
 * concurrent refresh: before, a change whose transaction found the day's mark still standing added none, and a
 * refresh that deleted that mark before the change committed recomputed the day without it; now every change's own
 * mark commits with it and stays until a refresh that can see the change deletes it.
 * Duplicates are cheap: a refresh runs every few seconds, deletes every mark it sees and recomputes each day once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table analytics_dirty drop constraint analytics_dirty_pkey`.execute(db);
  await sql`create index analytics_dirty_client on analytics_dirty (client_id, day_utc)`.execute(db);
  await sql`create or replace function analytics_touch(p_client text, p_at timestamptz) returns void language plpgsql as $$
    begin
      if p_client is not null and p_at is not null then
        insert into analytics_dirty (client_id, day_utc) values (p_client, (p_at at time zone 'UTC')::date);
      end if;
    end $$`.execute(db);
}
