/**
 * Per-staff calendars (issue 20): who of an office's bookable people a caller may get. A person is named by id or by
 * name (first name is enough when it is unambiguous), takes some or all appointment types, works their own hours
 * inside the office's closures, and when several are free at one start the office's `staff.assignment` decides:
 * round_robin (fewest upcoming bookings, then the listed order) or first_listed. An office without `staff` has no
 * people here and books in its one calendar exactly as before.
 */
import { DateTime } from 'luxon';
import type { Kysely } from 'kysely';
import { WEEKDAYS, minutesOfDay, type ClientConfig, type StaffMember, type TimeRange } from '../config/client-schema.js';
import type { DB } from '../db/schema.js';
import { slotRulesOf, type SlotRules } from './slots.js';

export type { StaffMember };

function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The office's bookable people in the listed order; empty for an office with one calendar. */
export function staffOf(config: ClientConfig): StaffMember[] {
  return config.staff?.people ?? [];
}

export function hasStaff(config: ClientConfig): boolean {
  return staffOf(config).length > 0;
}

export function staffById(config: ClientConfig, id: string | null | undefined): StaffMember | undefined {
  return id ? staffOf(config).find((person) => person.id === id) : undefined;
}

/**
 * The person a caller or the agent named: by id, by full name, or by a unique first name or part of a name.
 * Undefined when nobody (or more than one person) matches.
 */
export function resolveStaff(config: ClientConfig, wanted: string): StaffMember | undefined {
  const people = staffOf(config);
  const exact = people.find((person) => person.id === wanted.trim());
  if (exact) return exact;
  const key = normalise(wanted);
  if (!key) return undefined;
  const byName = people.filter((person) => normalise(person.name) === key || normalise(person.id) === key);
  if (byName.length === 1) return byName[0];
  const words = key.split(' ');
  const partial = people.filter((person) => {
    const name = normalise(person.name).split(' ');
    return words.every((word) => name.includes(word));
  });
  return partial.length === 1 ? partial[0] : undefined;
}

export function takesType(person: StaffMember, typeId: string): boolean {
  return person.appointmentTypes === undefined || person.appointmentTypes.includes(typeId);
}

/** The people who take this appointment type, in the listed order. */
export function staffForType(config: ClientConfig, typeId: string): StaffMember[] {
  return staffOf(config).filter((person) => takesType(person, typeId));
}

export function staffNames(people: StaffMember[]): string[] {
  return people.map((person) => person.name);
}

/** Where two lists of opening ranges overlap (the person's day and the office's special hours). */
function intersect(a: TimeRange[], b: TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  for (const left of a) {
    for (const right of b) {
      const open = Math.max(minutesOfDay(left.open), minutesOfDay(right.open));
      const close = Math.min(minutesOfDay(left.close), minutesOfDay(right.close));
      if (open < close)
        out.push({ open: open === minutesOfDay(left.open) ? left.open : right.open, close: close === minutesOfDay(left.close) ? left.close : right.close });
    }
  }
  return out.sort((x, y) => minutesOfDay(x.open) - minutesOfDay(y.open));
}

/**
 * The slot rules of one person: their weekly hours (the office's when they have none), the office's closures, and on
 * a special-hours date the overlap of their weekday hours with the office's special hours (an office open late on
 * deadline day does not make a part-timer work late; an office closed early closes them too).
 */
export function slotRulesOfStaff(config: ClientConfig, person: StaffMember): SlotRules {
  const office = slotRulesOf(config);
  if (!person.businessHours) return office;
  const hours = person.businessHours;
  const specialHours = Object.fromEntries(
    Object.entries(config.specialHours).map(([date, ranges]) => {
      const weekday = WEEKDAYS[DateTime.fromISO(date, { zone: config.timezone }).weekday - 1]!;
      return [date, intersect(hours[weekday], ranges)];
    }),
  );
  return { ...office, businessHours: hours, specialHours };
}

/** Each person's count of upcoming booked appointments (the round-robin load), by staff id. */
export async function upcomingLoad(db: Kysely<DB>, clientId: string, now: Date): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('appointments')
    .select(['staff_id', (eb) => eb.fn.countAll<string>().as('count')])
    .where('client_id', '=', clientId)
    .where('staff_id', 'is not', null)
    .where('status', '=', 'booked')
    .where('start_at', '>=', now)
    .groupBy('staff_id')
    .execute();
  return new Map(rows.map((row) => [row.staff_id!, Number(row.count)]));
}

/**
 * `people` in the order the office gives slots to them: round_robin puts the least-booked first (ties keep the
 * listed order, so the choice is stable), first_listed keeps the list.
 */
export function assignmentOrder(config: ClientConfig, people: StaffMember[], load: Map<string, number>): StaffMember[] {
  if ((config.staff?.assignment ?? 'round_robin') === 'first_listed') return people;
  const listed = new Map(staffOf(config).map((person, index) => [person.id, index]));
  return [...people].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || listed.get(a.id)! - listed.get(b.id)!);
}
