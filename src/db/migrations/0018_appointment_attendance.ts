import { sql, type Kysely } from 'kysely';

/**
 * Whether a booked appointment took place, as staff marked it: `attended` or `no_show`; null is "not marked"
 * (analytics counts an unmarked past appointment as unknown, never as held). Who marked it and when are kept
 * beside it; every change also writes an audit row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table appointments
    add column attendance text check (attendance in ('attended', 'no_show')),
    add column attendance_marked_at timestamptz,
    add column attendance_marked_by text`.execute(db);
  await sql`create index appointments_attendance_idx on appointments (client_id, start_at) where status = 'booked'`.execute(db);
}
