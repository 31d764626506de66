/**
 * What a lead should say about a caller: names, contact details, status from the call outcome, and the
 * client's custom fields (appointment in the office's zone, type, last intent, opt-out flags).
 */
import { DateTime } from 'luxon';
import type { CallOutcome, ClientConfig } from '../config/client-schema.js';
import type { LeadFields } from '../providers/zoho/crm.js';

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

/** "Unknown caller +1…4567": Zoho requires Last_Name, and staff should see it is a stand-in, not a name. */
export function placeholderLastName(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const country = phone.startsWith('+1') ? '+1' : '+';
  return `Unknown caller ${country}…${digits.slice(-4)}`;
}

export function isPlaceholderName(lastName: unknown): boolean {
  return typeof lastName === 'string' && lastName.startsWith('Unknown caller');
}

/** "Dana Rivera" → First Dana, Last Rivera; "Cher" → Last Cher (Last_Name is the mandatory one). */
export function splitName(name: string): { First_Name?: string; Last_Name: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length === 1) return { Last_Name: parts[0]! };
  return { First_Name: parts.slice(0, -1).join(' '), Last_Name: parts[parts.length - 1]! };
}

/** Zoho datetime fields take ISO 8601 with the offset and no milliseconds, e.g. 2026-02-03T14:30:00-05:00. */
export function zohoDateTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '';
}

/**
 * Fields that change with every sync (custom fields, contact details we learned), and the status when the sync
 * decided to write one (`lead-status.ts`: only forward, never over a status set in the CRM).
 */
export function leadUpdateFields(config: ClientConfig, facts: LeadFacts, leadStatus?: string): LeadFields {
  const map = config.zoho.crm.fieldMap;
  const fields: LeadFields = {};
  if (facts.name) Object.assign(fields, splitName(facts.name));
  if (facts.email) fields.Email = facts.email;
  if (leadStatus) fields.Lead_Status = leadStatus;
  if (map.lastCallIntent && facts.intent) fields[map.lastCallIntent] = facts.intent;
  if (facts.appointment !== undefined) {
    if (map.appointmentAt) {
      fields[map.appointmentAt] = facts.appointment ? zohoDateTime(facts.appointment.startAt, config.timezone) : null;
    }
    if (map.appointmentType) fields[map.appointmentType] = facts.appointment ? facts.appointment.typeName : null;
  }
  if (map.smsOptOut) fields[map.smsOptOut] = facts.smsOptedOut;
  if (map.emailOptOut && facts.emailOptedOut !== undefined) fields[map.emailOptOut] = facts.emailOptedOut;
  return fields;
}

/** A new lead: everything an update carries plus what only creation sets (phone, company, source, a name). */
export function leadCreateFields(config: ClientConfig, facts: LeadFacts): LeadFields {
  const crm = config.zoho.crm;
  return {
    Last_Name: placeholderLastName(facts.phone),
    Phone: facts.phone,
    Company: crm.company,
    Lead_Source: crm.leadSource,
    // A new lead has no status anyone chose yet.
    ...leadUpdateFields(config, facts, facts.outcome ? crm.statusMap[facts.outcome] : undefined),
  };
}
