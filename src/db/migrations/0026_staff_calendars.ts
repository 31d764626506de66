import { sql, type Kysely } from 'kysely';

/**
 * Per-staff calendars (issue 20). An appointment may belong to one of the office's bookable people (`staff_id`, the
 * person's id in the office document; null for an office with one calendar) and remembers the calendar its event was
 * made in (`calendar_id`; null: the office's own calendar), so a move to another person can take the event along.
 * The slot locks gain the person too: the primary key (client, staff, cell) lets two people be booked at the same
 * time while still letting exactly one of two overlapping holds of the same person commit. Offices without staff lock
 * under '' and keep exactly the old guarantee.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table appointments add column staff_id text, add column calendar_id text`.execute(db);
  await sql`create index appointments_staff_start on appointments (client_id, staff_id, start_at) where staff_id is not null and status in ('held','booked')`.execute(
    db,
  );
  await sql`alter table appointment_slot_locks add column staff_id text not null default ''`.execute(db);
  await sql`alter table appointment_slot_locks drop constraint appointment_slot_locks_pk`.execute(db);
  await sql`alter table appointment_slot_locks add constraint appointment_slot_locks_pk primary key (client_id, staff_id, cell_start)`.execute(db);
}
