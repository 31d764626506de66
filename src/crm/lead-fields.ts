/**
 * What a lead should say about a caller, in our words: names, contact details, status from the call outcome, and
 * the facts an office may map to its own CRM fields (appointment, type, last intent, opt-out flags). Each CRM
 * module turns these into its field names (`src/zoho/crm-port.ts`, `src/hubspot/crm-port.ts`).
 */
import type { CallOutcome } from '../config/client-schema.js';
import type { LeadChanges, NewLead } from './port.js';

export interface LeadAppointment {
  startAt: Date;
  typeName: string;
}

export interface LeadFacts {
  phone: string;
  name: string | null;
  email: string | null;
  outcome: CallOutcome | null;
  intent: string | null;
  /** undefined: leave the lead's appointment fields alone; null: clear them (nothing booked any more). */
  appointment: LeadAppointment | null | undefined;
  smsOptedOut: boolean;
  /** undefined when we know no e-mail address (nothing to say about it). */
  emailOptedOut: boolean | undefined;
}

/** "Unknown caller +1…4567": CRMs require a last name, and staff should see it is a stand-in, not a name. */
export function placeholderLastName(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const country = phone.startsWith('+1') ? '+1' : '+';
  return `Unknown caller ${country}…${digits.slice(-4)}`;
}

export function isPlaceholderName(lastName: unknown): boolean {
  return typeof lastName === 'string' && lastName.startsWith('Unknown caller');
}

/** "Dana Rivera" → first Dana, last Rivera; "Cher" → last Cher (the last name is the mandatory one). */
export function splitName(name: string): { firstName?: string; lastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length === 1) return { lastName: parts[0]! };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts[parts.length - 1]! };
}

/**
 * What changes with every sync (contact details we learned, the facts an office maps), and the status when the
 * sync decided to write one (`lead-status.ts`: only forward, never over a status set in the CRM).
 */
export function leadChanges(facts: LeadFacts, leadStatus?: string): LeadChanges {
  const changes: LeadChanges = {};
  if (facts.name) Object.assign(changes, splitName(facts.name));
  if (facts.email) changes.email = facts.email;
  if (leadStatus) changes.status = leadStatus;
  if (facts.intent) changes.lastCallIntent = facts.intent;
  if (facts.appointment !== undefined) changes.appointment = facts.appointment;
  changes.smsOptedOut = facts.smsOptedOut;
  if (facts.emailOptedOut !== undefined) changes.emailOptedOut = facts.emailOptedOut;
  return changes;
}

/** A new lead: everything an update carries plus what only creation sets (the phone, a stand-in last name). */
export function newLead(facts: LeadFacts, leadStatus?: string): NewLead {
  return { phone: facts.phone, lastName: placeholderLastName(facts.phone), ...leadChanges(facts, leadStatus) };
}
