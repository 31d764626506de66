import { sql, type Kysely } from 'kysely';

/**
 * Sender pacing shared by every instance: the next free moment per sender, and the turn a rescheduled text
 * holds, so a text that waits for its turn keeps it whichever instance picks it up again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table sender_pacing (sender text primary key, next_free timestamptz not null)`.execute(db);
  await sql`
    create table sender_pacing_turns (
      outbox_id bigint primary key references outbox (id) on delete cascade,
      sender text not null,
      slot timestamptz not null
    )`.execute(db);
}
