/** Tables of Zoho connections, appointments and slot locks (migration 0003). */
import type { Generated, Selectable } from 'kysely';
import type { Timestamp } from '../schema.js';

export type ConnectionStatus = 'ok' | 'refreshing' | 'broken';

export interface OauthConnectionsTable {
  id: Generated<number>;
  client_id: string;
  provider: string;
  /** Zoho's short location code: us, eu, in, au, jp, ca, sa, cn. */
  data_center: string;
  accounts_server: string;
  api_domain: string;
  /** AES-256-GCM via SecretBox. */
  refresh_token_sealed: string;
  access_token_sealed: string | null;
  access_expires_at: Timestamp | null;
  owner_email: string | null;
  scopes: string | null;
  status: Generated<ConnectionStatus>;
  last_error: string | null;
  refresh_count: Generated<number>;
  connected_at: Timestamp;
  refreshed_at: Timestamp | null;
  broken_at: Timestamp | null;
  updated_at: Timestamp;
}

/** held: slot reserved while the calendar event is made; released: a hold given up (or expired and swept). */
export type AppointmentStatus = 'held' | 'booked' | 'cancelled' | 'released';

/** Whether a booked appointment took place, as staff marked it (migration 0018); null: not marked. */
export type Attendance = 'attended' | 'no_show';

export interface AppointmentsTable {
  id: Generated<number>;
  /** `bk_…`, written into the Zoho event so a retry can find it. */
  booking_id: string;
  client_id: string;
  customer_id: number | null;
  call_id: string | null;
  appointment_type: string;
  start_at: Timestamp;
  end_at: Timestamp;
  /** end_at plus the type's buffer: the time this appointment keeps others out. */
  block_end_at: Timestamp;
  status: AppointmentStatus;
  /** client + call + start + type: a repeated book_appointment finds the first booking. */
  idempotency_key: string | null;
  hold_expires_at: Timestamp | null;
  /** A request working on a held appointment (creating its event) owns it until then. */
  claimed_until: Timestamp | null;
  calendar_event_id: string | null;
  calendar_etag: string | null;
  caller_name: string | null;
  caller_phone: string | null;
  caller_email: string | null;
  notes: string | null;
  previous_start_at: Timestamp | null;
  /** What the last reconcile found wrong in Zoho (event_missing, event_moved), null when in sync. */
  drift: string | null;
  drift_checked_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  booked_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  attendance: Attendance | null;
  attendance_marked_at: Timestamp | null;
  attendance_marked_by: string | null;
  /** The office's bookable person this appointment is with (`staff[].id`); null for an office with one calendar (migration 0026). */
  staff_id: string | null;
  /** The calendar the event was made in (a person's `calendarId`); null: the office's own calendar. */
  calendar_id: string | null;
}

export interface AppointmentSlotLocksTable {
  client_id: string;
  cell_start: Timestamp;
  appointment_id: number;
  /** The person whose time this cell holds; '' for an office with one calendar. */
  staff_id: Generated<string>;
}

export interface BookingTables {
  oauth_connections: OauthConnectionsTable;
  appointments: AppointmentsTable;
  appointment_slot_locks: AppointmentSlotLocksTable;
}

export type OauthConnectionRow = Selectable<OauthConnectionsTable>;
export type AppointmentRow = Selectable<AppointmentsTable>;
