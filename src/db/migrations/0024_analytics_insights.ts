import { sql, type Kysely } from 'kysely';

/**
 * Analytics count intents and needs from `call_insights` (issue 17; src/analytics/labels.ts), so a change there
 * marks its call's day for a fresh rollup like a change of the call itself (the insight is written after the call's
 * analysis, possibly after that day's rollup was computed). Days that already have calls are marked once, so their
 * rollups are rebuilt with the new labels instead of keeping Retell's free-text intents.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function analytics_call_insights_changed() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then
        perform analytics_touch(old.client_id, (select coalesce(c.started_at, c.created_at) from calls c where c.id = old.call_id));
      end if;
      if tg_op <> 'DELETE' then
        perform analytics_touch(new.client_id, (select coalesce(c.started_at, c.created_at) from calls c where c.id = new.call_id));
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger analytics_call_insights after insert or update or delete on call_insights
    for each row execute function analytics_call_insights_changed()`.execute(db);
  await sql`insert into analytics_dirty (client_id, day_utc)
    select distinct client_id, (coalesce(started_at, created_at) at time zone 'UTC')::date from calls
    on conflict do nothing`.execute(db);
}
