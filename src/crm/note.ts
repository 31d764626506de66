/**
 * The note each call leaves on its lead. Summary and intent were redacted at intake (`webhooks/intake.ts`); they
 * pass through `redactCallerText` once more here because calls stored before intake redaction covered them still
 * hold them in clear, and an SSN or account number a caller read out must never reach the CRM. The last line names
 * the call: a retried sync looks for it before writing a second note.
 */
import { DateTime } from 'luxon';
import type { ClientConfig } from '../config/client-schema.js';
import { redactCallerText } from '../log/redact-caller-text.js';
import type { LeadAppointment } from './lead-fields.js';
import type { CrmNoteInput } from './port.js';

export interface NoteFacts {
  callId: string;
  startedAt: Date | null;
  durationMs: number | null;
  summary: string | null;
  intent: string | null;
  sentiment: string | null;
  outcome: string | null;
  appointment: LeadAppointment | null | undefined;
  recordingUrl: string | null;
  callLink: string;
}

export function callMarker(callId: string): string {
  return `Switchboard call: ${callId}`;
}

export function spokenTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("cccc, LLLL d 'at' h:mm a ZZZZ");
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

export function buildCallNote(config: ClientConfig, facts: NoteFacts): CrmNoteInput {
  const when = facts.startedAt ? DateTime.fromJSDate(facts.startedAt, { zone: config.timezone }).toFormat('LLL d, h:mm a') : 'unknown time';
  const lines = [
    `Summary: ${facts.summary ? redactCallerText(facts.summary) : 'no summary available'}`,
    `Intent: ${facts.intent ? redactCallerText(facts.intent) : 'unknown'}`,
    `Sentiment: ${facts.sentiment ?? 'unknown'}`,
    `Outcome: ${facts.outcome ?? 'unknown'}`,
    `Appointment: ${facts.appointment ? `${facts.appointment.typeName} on ${spokenTime(facts.appointment.startAt, config.timezone)}` : 'none'}`,
    `Duration: ${facts.durationMs === null ? 'unknown' : duration(facts.durationMs)}`,
    `Recording: ${facts.recordingUrl ?? 'none'}`,
    `Call details: ${facts.callLink}`,
    callMarker(facts.callId),
  ];
  return {
    title: `AI receptionist call, ${when}${facts.outcome ? ` (${facts.outcome.replace(/_/g, ' ')})` : ''}`,
    content: lines.join('\n'),
  };
}
