import { sql, type Kysely } from 'kysely';

/**
 * Callback tasks get a kind (requested by the caller, an unanswered transfer, …) and a deadline; a call's
 * unanswered transfer makes at most one task, however often Retell delivers the event.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callback_tasks add column kind text not null default 'requested'`.execute(db);
  await sql`alter table callback_tasks add column due_at timestamptz`.execute(db);
  await sql`create unique index callback_tasks_transfer_once on callback_tasks (call_id) where kind = 'transfer_unanswered'`.execute(db);
}
