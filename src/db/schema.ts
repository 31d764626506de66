/**
 * Kysely table types. Migrations own the truth; these mirror them. Feature tables are added by the
 * migration that creates them (see db/migrations/).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AnalyticsTables } from './tables/analytics.js';
import type { BookingTables } from './tables/booking.js';
import type { CallsTables } from './tables/calls.js';
import type { CrmTables } from './tables/crm.js';
import type { DashboardTables } from './tables/dashboard.js';
import type { MessagingTables } from './tables/messaging.js';
import type { InsightsTables } from './tables/insights.js';

export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb: written with `json(value)` from db/json.ts, read back parsed. */
export type Json<T = unknown> = ColumnType<T, T, T>;

export interface ClientsTable {
  id: string;
  name: string;
  timezone: string;
  settings: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** The `client_versions.version` in force; null only for rows made before offices were data. */
  current_version: number | null;
  /** active | removed */
  status: Generated<string>;
}

/** One version of an office's configuration: the whole document as written (before zod defaults). */
export interface ClientVersionsTable {
  id: Generated<number>;
  client_id: string;
  version: number;
  document: Json<Record<string, unknown>>;
  /** Who made it: a user's e-mail, `cli (<os user>)`, `file import`, … */
  author: string;
  /** dashboard | cli | file | rollback | wizard */
  source: string;
  source_file: string | null;
  /** SHA-256 of the file's text when the version came from a file, so an unchanged file is not imported again. */
  source_hash: string | null;
  diff: Json<OfficeChange[]>;
  created_at: Generated<Date>;
}

/** One changed leaf between two versions (`path` like `businessHours.monday[0].open`). */
export interface OfficeChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** A vendor credential typed in the dashboard or CLI, sealed with the secret box; never read back out. */
export interface ClientSecretsTable {
  client_id: string;
  name: string;
  sealed: string;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  client_id: string | null;
  provider: string;
  idempotency_key: string;
  event_type: string;
  received_at: Timestamp;
  /** The event as JSON text (redacted); only its key once processed. */
  payload: string;
  status: Generated<string>;
  error: string | null;
}

export type OutboxStatus = 'scheduled' | 'running' | 'done' | 'failed' | 'dead' | 'cancelled' | 'unknown';

export interface OutboxTable {
  id: Generated<number>;
  client_id: string;
  kind: string;
  payload: Json<Record<string, unknown>>;
  status: Generated<OutboxStatus>;
  run_at: Timestamp;
  attempts: Generated<number>;
  max_attempts: number;
  retry_interval_ms: number;
  dedupe_key: string;
  last_error: string | null;
  result: Json<unknown> | null;
  locked_by: string | null;
  lease_until: Timestamp | null;
  /** An earlier attempt's outcome is unknown and the next run reconciles first: when that attempt started. */
  unsettled_since: Timestamp | null;
  call_id: string | null;
  appointment_id: number | null;
  customer_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface OutboxAttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  attempt: number;
  /** ok | error | permanent_error | unsettled (answer lost, reconcile next) | unknown | lease_expired | edited | cancelled | retried */
  outcome: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  error: string | null;
  response: Json<unknown> | null;
  /** The payload this attempt ran with (or, for `edited`, the payload before the edit). */
  payload: Json<unknown> | null;
  actor: string | null;
}

export interface ErrorsTable {
  id: Generated<number>;
  client_id: string | null;
  source: string;
  fingerprint: string;
  severity: Generated<string>;
  message: string;
  details: Json<unknown> | null;
  count: Generated<number>;
  call_id: string | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  resolved_at: Timestamp | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  client_id: string | null;
  action: string;
  target: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

/** The onboarding wizard's progress for one new office (answers and results by step). */
export interface OnboardingsTable {
  id: string;
  client_id: string | null;
  answers: Json<Record<string, unknown>>;
  results: Json<Record<string, unknown>>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  removed_at: Timestamp | null;
}

/** Every table. Feature tables live in db/tables/<feature>.ts so each feature edits its own file. */
export interface DB extends AnalyticsTables, CallsTables, BookingTables, MessagingTables, CrmTables, DashboardTables, InsightsTables {
  clients: ClientsTable;
  client_versions: ClientVersionsTable;
  client_secrets: ClientSecretsTable;
  onboardings: OnboardingsTable;
  webhook_events: WebhookEventsTable;
  outbox: OutboxTable;
  outbox_attempts: OutboxAttemptsTable;
  errors: ErrorsTable;
  audit: AuditTable;
}

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type OutboxUpdate = Updateable<OutboxTable>;
export type ErrorRow = Selectable<ErrorsTable>;
