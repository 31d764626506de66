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
import { isOptedOut } from './consent.js';
import { officeHoursToday } from './office-hours.js';
import { findCustomerByPhone } from './store.js';

export interface CallerMemory {
  dynamicVariables: Record<string, string>;
  metadata: Record<string, string>;
}

/** "Tuesday, February 3 at 2:30 PM" in the office's zone. */
export function spokenDateTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat("cccc, LLLL d 'at' h:mm a");
}

export function spokenDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('cccc, LLLL d');
}

/** Defaults for any caller (also what an internal failure answers with). */
export function defaultMemory(client: ClientRuntime, clock: Clock): CallerMemory {
  const config = client.config;
  let openNow = '';
  let hoursToday = '';
  try {
    const hours = officeHoursToday(config, clock.now());
    openNow = String(hours.openNow);
    hoursToday = hours.hoursToday;
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
    },
    metadata: { client: config.slug },
  };
}

export async function lookupCallerMemory(
  db: Kysely<DB>,
  clock: Clock,
  client: ClientRuntime,
  phoneE164: string | undefined,
): Promise<CallerMemory> {
  const memory = defaultMemory(client, clock);
  if (!phoneE164) return memory;
  const clientId = client.config.slug;
  const zone = client.config.timezone;
  const [customer, optedOut] = await Promise.all([
    findCustomerByPhone(db, clientId, phoneE164),
    isOptedOut(db, clientId, 'sms', phoneE164, 'all'),
  ]);
  const variables = memory.dynamicVariables;
  variables.caller_opted_out_sms = String(optedOut);
  if (!customer) return memory;

  variables.customer_name = customer.name ?? '';
  variables.is_returning_caller = String(customer.call_count > 0);
  variables.last_call_summary = customer.last_summary ?? '';
  variables.last_call_date = customer.last_call_at ? spokenDate(customer.last_call_at, zone) : '';
  memory.metadata.customer_id = String(customer.id);

  const upcoming = await sql<{ start_at: Date; appointment_type: string }>`
    select start_at, appointment_type from appointments
    where client_id = ${clientId} and customer_id = ${customer.id} and status = 'booked' and start_at > ${clock.now()}
    order by start_at limit 1`.execute(db);
  const next = upcoming.rows[0];
  if (next) {
    const type = client.config.appointmentTypes.find((candidate) => candidate.id === next.appointment_type);
    variables.upcoming_appointment = spokenDateTime(new Date(next.start_at), zone);
    variables.upcoming_appointment_type = type?.name ?? '';
  }
  return memory;
}
