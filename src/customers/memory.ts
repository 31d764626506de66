/**
 * What the agent knows about a caller when the phone rings: Retell's `call_inbound` dynamic variables. All
 * values are strings (Retell supports nothing else), and an unknown caller gets empty defaults rather than
 * missing keys, which the agent would otherwise read out literally as "{{customer_name}}".
 */
import { sql, type Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Clock } from '../core/clock.js';
import type { ClientRuntime } from '../config/registry.js';
import type { DB } from '../db/schema.js';
import { localDate } from '../booking/local-time.js';
import { transferTargets } from '../calls/transfer.js';
import { officeHoursToday } from './office-hours.js';
import { agentLanguage, chooseCallLanguage, officeLanguage } from '../i18n/language.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { appointmentTypeWords, firstNameOf } from '../messaging/render.js';

export interface CallerMemory {
  dynamicVariables: Record<string, string>;
  metadata: Record<string, string>;
}

/** "Tuesday, February 3 at 2:30 PM" in the office's zone, in the caller's language. */
export function spokenDateTime(at: Date, zone: string, language: Language = 'en'): string {
  const phrases = phrasesFor(language);
  return phrases.time.spoken(DateTime.fromJSDate(at, { zone }).setLocale(phrases.locale), false);
}

/**
 * "Tuesday, February 3": a function of the local date, the zone and the language alone, so each is worded once
 * (bounded memo; the local date comes from the per-hour offsets of booking/zone-offset.ts). Every ringing returning
 * caller asks for one; Luxon's zone lookup + formatting was ~4 % of call_inbound's CPU.
 */
export function spokenDate(at: Date, zone: string, language: Language = 'en'): string {
  const key = `${zone}|${language}|${localDate(at.getTime(), zone)}`;
  let spoken = spokenDates.get(key);
  if (spoken === undefined) {
    const phrases = phrasesFor(language);
    spoken = phrases.time.day(DateTime.fromJSDate(at, { zone }).setLocale(phrases.locale));
    if (spokenDates.size >= 10_000) spokenDates.clear();
    spokenDates.set(key, spoken);
  }
  return spoken;
}

const spokenDates = new Map<string, string>();

/**
 * Defaults for any caller (also what an internal failure answers with). The language is the agent's when it speaks
 * only one, else the office's: nobody has said a word yet.
 */
export function defaultMemory(client: ClientRuntime, clock: Clock, agentId?: string): CallerMemory {
  const config = client.config;
  const language = agentLanguage(config, agentId) ?? officeLanguage(config);
  let openNow = '';
  let hoursToday = '';
  const transfer = { transfer_available: 'false', transfer_number: '', transfer_name: '', transfer_number_urgent: '' };
  try {
    const now = clock.now();
    const hours = officeHoursToday(config, now, language);
    openNow = String(hours.openNow);
    hoursToday = hours.hoursToday;
    const targets = transferTargets(config, now);
    transfer.transfer_available = String(targets.normal !== undefined);
    transfer.transfer_number = targets.normal?.number ?? '';
    transfer.transfer_name = targets.normal?.name ?? '';
    transfer.transfer_number_urgent = targets.urgent?.number ?? '';
  } catch {
    // Hours are a nicety; never let them break the greeting.
  }
  return {
    dynamicVariables: {
      office_name: config.name,
      office_phone: config.officePhone,
      customer_name: '',
      is_returning_caller: 'false',
      last_call_summary: '',
      last_call_date: '',
      upcoming_appointment: '',
      upcoming_appointment_type: '',
      office_open_now: openNow,
      office_hours_today: hoursToday,
      caller_opted_out_sms: 'false',
      caller_intent_last: '',
      caller_needs: '',
      caller_open_issue: '',
      caller_guidance: '',
      caller_language: language,
      caller_first_name: '',
      greeting: phrasesFor(language).greeting(config.name, undefined),
      ...transfer,
    },
    metadata: { client: config.slug },
  };
}

interface MemoryRow {
  customer_id: number | null;
  name: string | null;
  call_count: number | null;
  last_summary: string | null;
  last_call_at: Date | string | null;
  opted_out: boolean;
  start_at: Date | string | null;
  appointment_type: string | null;
  profile_intent: string | null;
  profile_needs: string[] | null;
  profile_language: string | null;
  profile_open_issue: string | null;
  profile_guidance: string | null;
  preferred_language: string | null;
  staff_id: string | null;
}

/**
 * The whole memory in one round trip (caller, SMS opt-out, next booked appointment and with whom, caller profile,
 * language) through the `caller_memory` database function (migrations 0007 … 0028), whose plan the database keeps:
 * the phone is ringing. A person no longer listed in the office is not named.
 */
export async function lookupCallerMemory(
  db: Kysely<DB>,
  clock: Clock,
  client: ClientRuntime,
  phoneE164: string | undefined,
  agentId?: string,
): Promise<CallerMemory> {
  const memory = defaultMemory(client, clock, agentId);
  if (!phoneE164) return memory;
  const clientId = client.config.slug;
  const zone = client.config.timezone;
  const result = await sql<MemoryRow>`select * from caller_memory(${clientId}, ${phoneE164}, ${clock.now()})`.execute(db);
  const row = result.rows[0];
  const variables = memory.dynamicVariables;
  variables.caller_opted_out_sms = String(row?.opted_out === true);
  if (!row || row.customer_id === null) return memory;

  const { language } = chooseCallLanguage({
    agent: agentLanguage(client.config, agentId),
    remembered: row.preferred_language ?? row.profile_language,
    office: officeLanguage(client.config),
  });
  const firstName = row.name ? firstNameOf(row.name, language) : undefined;
  variables.caller_language = language;
  try {
    // The hours in the caller's language (the defaults used the agent's or the office's).
    variables.office_hours_today = officeHoursToday(client.config, clock.now(), language).hoursToday;
  } catch {
    // Hours are a nicety; the defaults stand.
  }
  variables.caller_first_name = firstName ?? '';
  variables.greeting = phrasesFor(language).greeting(client.config.name, firstName);
  variables.customer_name = row.name ?? '';
  variables.is_returning_caller = String(Number(row.call_count ?? 0) > 0);
  variables.last_call_summary = row.last_summary ?? '';
  variables.last_call_date = row.last_call_at ? spokenDate(new Date(row.last_call_at), zone, language) : '';
  memory.metadata.customer_id = String(row.customer_id);
  // The caller profile (issue 17, insights/profile.ts) comes in the same row: no extra round trip. caller_language is
  // the language chosen above (issue 18: agent, the caller's words, what staff or the caller set), not the profile's.
  variables.caller_intent_last = row.profile_intent ?? '';
  variables.caller_needs = (row.profile_needs ?? []).join(',');
  variables.caller_open_issue = row.profile_open_issue ?? '';
  variables.caller_guidance = row.profile_guidance ?? '';

  if (row.start_at && row.appointment_type !== null) {
    const type = client.config.appointmentTypes.find((candidate) => candidate.id === row.appointment_type);
    const spoken = spokenDateTime(new Date(row.start_at), zone, language);
    const person = row.staff_id ? client.config.staff?.people.find((candidate) => candidate.id === row.staff_id) : undefined;
    variables.upcoming_appointment = person ? phrasesFor(language).staff.withPerson(spoken, person.name) : spoken;
    variables.upcoming_appointment_type = type ? appointmentTypeWords(client.config, type.id, language).name : '';
  }
  return memory;
}
