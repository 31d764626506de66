/**
 * Whether a sync may write the lead's status. The status follows how far the caller has come and only moves
 * forward (a booked lead is not set back to "Contacted" by a later question-only call), and a status someone else
 * set in the CRM (staff, a Zoho workflow) is never overwritten. Ranks belong to outcomes, not to the words an office
 * maps them to, so a customised `zoho.crm.statusMap` keeps the same order.
 */
import type { CallOutcome } from '../config/client-schema.js';

/** How far along a caller is after each outcome; a sync writes only an equal or higher rank (latest wins on a tie). */
export const OUTCOME_RANK: Record<CallOutcome, number> = {
  // No conversation took place.
  voicemail: 1,
  abandoned: 1,
  // A conversation, nothing booked.
  info_only: 2,
  callback_requested: 2,
  // Asked not to be contacted: above a plain conversation, below a booking (an appointment still stands).
  opted_out: 3,
  // An appointment was made; its later changes (moved, cancelled) are news about the same appointment.
  booked: 4,
  rescheduled: 4,
  cancelled: 4,
};

/** The status a sync last wrote to the lead, and the outcome it came from (crm_links.lead_status*). */
export interface WrittenStatus {
  status: string;
  outcome: CallOutcome;
}

export type LeadStatusDecision =
  | { action: 'write'; status: string; outcome: CallOutcome }
  /** The lead's current status is needed to decide: read it and ask again with `current`. */
  | { action: 'read' }
  | { action: 'keep'; reason: 'no_outcome' | 'behind' | 'unchanged' | 'set_in_crm' };

export interface LeadStatusInput {
  outcome: CallOutcome | null;
  statusMap: Record<CallOutcome, string>;
  /** What we last wrote to this lead; null when we never recorded writing its status. */
  last: WrittenStatus | null;
  /** The lead's status now (null or '' when it has none); undefined when not read yet. */
  current?: string | null | undefined;
}

export function decideLeadStatus(input: LeadStatusInput): LeadStatusDecision {
  const { outcome, statusMap, last, current } = input;
  if (!outcome) return { action: 'keep', reason: 'no_outcome' };
  const status = statusMap[outcome];
  const rank = OUTCOME_RANK[outcome];
  if (last) {
    if (rank < OUTCOME_RANK[last.outcome]) return { action: 'keep', reason: 'behind' };
    // Writing the same word again could only undo a change made in the CRM since.
    if (status === last.status) return { action: 'keep', reason: 'unchanged' };
    if (current === undefined) return { action: 'read' };
    if (current && current !== last.status) return { action: 'keep', reason: 'set_in_crm' };
    return { action: 'write', status, outcome };
  }
  // A lead we found rather than created, or linked before statuses were recorded: its status may be ours or not.
  if (current === undefined) return { action: 'read' };
  if (!current) return { action: 'write', status, outcome };
  const ranksOfCurrent = (Object.keys(statusMap) as CallOutcome[])
    .filter((candidate) => statusMap[candidate] === current)
    .map((candidate) => OUTCOME_RANK[candidate]);
  // A word this office's map never produces was chosen in the CRM: it stays.
  if (ranksOfCurrent.length === 0) return { action: 'keep', reason: 'set_in_crm' };
  if (rank < Math.max(...ranksOfCurrent)) return { action: 'keep', reason: 'behind' };
  return { action: 'write', status, outcome };
}
