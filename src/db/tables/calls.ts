/** Tables of calls, caller memory, consent, callback tasks and function invocations (migration 0002). */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { CallOutcome } from '../../config/client-schema.js';
import type { Json, Timestamp } from '../schema.js';

export type CallStatus = 'ringing' | 'in_progress' | 'ended' | 'analyzed';
/** The outcomes are listed once, with the CRM lead status each maps to (`config/client-schema.ts`). */
export type { CallOutcome };

export interface CustomersTable {
  id: Generated<number>;
  client_id: string;
  /** E.164. */
  phone: string;
  name: string | null;
  email: string | null;
  preferred_language: string | null;
  /** staff | caller | call: who set the language (a guess from a call never overwrites a person's choice). */
  preferred_language_source: string | null;
  notes: string | null;
  first_call_at: Timestamp | null;
  last_call_at: Timestamp | null;
  call_count: Generated<number>;
  last_call_id: string | null;
  last_summary: string | null;
  last_intent: string | null;
  last_outcome: string | null;
  /**
   * The caller profile's wordings (`caller_profiles`), copied here so `caller_memory` reads them without a join
   * (migration 0030); written only by insights/profile-on-customer.ts, in the transaction that writes the profile.
   * Null: no profile.
   */
  profile_intent_last: string | null;
  profile_needs: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  profile_language: string | null;
  profile_open_issue: string | null;
  profile_guidance: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CallsTable {
  /** Retell's call id. */
  id: string;
  client_id: string;
  customer_id: number | null;
  agent_id: string | null;
  agent_version: number | null;
  call_type: string | null;
  direction: string | null;
  from_number: string | null;
  to_number: string | null;
  status: CallStatus;
  stage: Generated<number>;
  /** Event type → first time we received it (ISO string). */
  events: ColumnType<Record<string, string>, Record<string, string> | undefined, Record<string, string>>;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  duration_ms: number | null;
  disconnection_reason: string | null;
  transcript: string | null;
  transcript_object: Json<unknown> | null;
  recording_url: string | null;
  public_log_url: string | null;
  summary: string | null;
  sentiment: string | null;
  successful: boolean | null;
  in_voicemail: boolean | null;
  custom_analysis: Json<Record<string, unknown>> | null;
  intent: string | null;
  outcome: CallOutcome | null;
  metadata: Json<unknown> | null;
  dynamic_variables: Json<Record<string, string>> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ConsentChannel = 'sms' | 'email';
export type ConsentPurpose = 'marketing' | 'transactional';
export type ConsentStatus = 'opted_in' | 'opted_out';

export interface ConsentsTable {
  id: Generated<number>;
  client_id: string;
  channel: ConsentChannel;
  address: string;
  purpose: ConsentPurpose;
  status: ConsentStatus;
  source: string;
  actor: string | null;
  changed_at: Timestamp;
}

/** Every change of a consent row, with the same columns as the row itself. */
export type ConsentHistoryTable = ConsentsTable;

export interface CallbackTasksTable {
  id: Generated<number>;
  client_id: string;
  call_id: string | null;
  customer_id: number | null;
  phone: string | null;
  name: string | null;
  reason: string;
  preferred_time: string | null;
  status: Generated<'open' | 'done' | 'cancelled'>;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
  completed_by: string | null;
  /** requested (by the caller) | transfer_unanswered | … */
  kind: Generated<string>;
  /** When staff should have called back by. */
  due_at: Timestamp | null;
  /** The appointment the caller wanted, when the task comes from a booking that could not finish in the call. */
  appointment_id: number | null;
  /** What happened since the task was made, for staff (e.g. a late calendar event removed or kept). */
  note: string | null;
  noted_at: Timestamp | null;
}

export interface FunctionInvocationsTable {
  id: Generated<number>;
  client_id: string;
  call_id: string;
  name: string;
  args_hash: string;
  args: Json<unknown>;
  status: 'running' | 'done';
  result: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface CallsTables {
  customers: CustomersTable;
  calls: CallsTable;
  consents: ConsentsTable;
  consent_history: ConsentHistoryTable;
  callback_tasks: CallbackTasksTable;
  function_invocations: FunctionInvocationsTable;
}

export type CustomerRow = Selectable<CustomersTable>;
export type CallRow = Selectable<CallsTable>;
export type ConsentRow = Selectable<ConsentsTable>;
export type CallbackTaskRow = Selectable<CallbackTasksTable>;
