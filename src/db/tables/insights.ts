/** Caller insight tables (migration 0019, issue 17). */
import type { ColumnType, Selectable } from 'kysely';
import type { Evidence } from '../../insights/labels.js';
import type { Json, Timestamp } from '../schema.js';

export interface CallInsightsTable {
  call_id: string;
  client_id: string;
  customer_id: number | null;
  language: string;
  intent: string;
  urgency: string;
  sentiment_start: string;
  sentiment_end: string;
  needs: ColumnType<string[], string[], string[]>;
  /** The words of the unresolved matter (status, complaint or urgent need), from the redacted transcript. */
  open_issue: string | null;
  evidence: Json<Evidence[]>;
  rules_version: string;
  call_at: Timestamp;
  computed_at: Timestamp;
}

export interface CallerProfilesTable {
  customer_id: number;
  client_id: string;
  /** Columns with a database default ('' or 0): optional when inserting. */
  intent_last: ColumnType<string, string | undefined, string>;
  needs: ColumnType<string[], string[] | undefined, string[]>;
  language: ColumnType<string, string | undefined, string>;
  open_issue: ColumnType<string, string | undefined, string>;
  guidance: ColumnType<string, string | undefined, string>;
  calls_counted: ColumnType<number, number | undefined, number>;
  edited_by: string | null;
  edited_at: Timestamp | null;
  cleared_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface InsightsTables {
  call_insights: CallInsightsTable;
  caller_profiles: CallerProfilesTable;
}

export type CallInsightRow = Selectable<CallInsightsTable>;
export type CallerProfileRow = Selectable<CallerProfilesTable>;
