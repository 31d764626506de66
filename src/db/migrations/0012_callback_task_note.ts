import { sql, type Kysely } from 'kysely';

/**
 * What happened to a callback task's booking after the task was made (issue 14, item 7): the appointment the
 * caller wanted, when there was one, and a note for staff, e.g. that Zoho made the event after the caller had
 * been offered the callback and the event was removed again, or kept and confirmed to the caller.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callback_tasks add column appointment_id bigint references appointments (id)`.execute(db);
  await sql`alter table callback_tasks add column note text`.execute(db);
  await sql`alter table callback_tasks add column noted_at timestamptz`.execute(db);
  await sql`create index callback_tasks_appointment on callback_tasks (appointment_id) where appointment_id is not null`.execute(db);
}
