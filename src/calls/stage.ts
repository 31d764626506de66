/** How far along a call an event is. Later stages carry fuller data, so their values win whatever the arrival order. */
import type { CallStatus } from '../db/tables/calls.js';

// Without a prototype: an event Retell never sends, named "toString" or "__proto__", must not look known.
export const CALL_EVENT_STAGE: Readonly<Record<string, number>> = Object.setPrototypeOf(
  {
    call_inbound: 0,
    call_started: 1,
    transcript_updated: 2,
    transfer_started: 2,
    transfer_bridged: 2,
    transfer_cancelled: 2,
    transfer_ended: 2,
    call_ended: 3,
    call_analyzed: 4,
  },
  null,
);

export const ENDED_STAGE = 3;
export const ANALYZED_STAGE = 4;

export function statusForStage(stage: number): CallStatus {
  if (stage >= ANALYZED_STAGE) return 'analyzed';
  if (stage >= ENDED_STAGE) return 'ended';
  if (stage >= 1) return 'in_progress';
  return 'ringing';
}
