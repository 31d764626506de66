/**
 * check_calendar_availability's rules: read the caller's preference (a day, a range, a part of the day, a
 * time), fetch busy time once (Zoho + our appointments and holds), and answer with a few slots near the
 * preference — or say plainly that nothing fits and which days nearby are open.
 */
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import type { AppointmentType } from '../config/client-schema.js';
import { timed } from '../core/step-times.js';
import { appointmentTypeNames, resolveAppointmentType } from './appointment-types.js';
import { ourBusy } from './busy.js';
import { calendarPortOf } from './deps.js';
import { isoInZone, localDate, readLocalTime, spokenClock, spokenDay, spokenTime } from './local-time.js';
import { appointmentTypeWords } from '../messaging/render.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { freeSlots, pickSlots, slotRulesOf, type PartOfDay, type Slot } from './slots.js';
import { candidatesFor, staffSlots, type StaffMember, type StaffRefusal } from './staff-availability.js';

export interface AvailabilityRequest {
  clientId: string;
  date?: string;
  startDate?: string;
  endDate?: string;
  partOfDay?: PartOfDay;
  /** "HH:mm" in the office's zone. */
  time?: string;
  appointmentType?: string;
  signal?: AbortSignal;
  /** The caller's language (English when not given). */
  language?: Language;
  /** A person the caller asked for, by id or name (an office with staff; ignored otherwise). */
  staff?: string;
}

export interface OfferedSlot {
  start: string;
  end: string;
  spoken: string;
  /** Who the slot is with (an office with staff): book_appointment takes the id back. */
  staff_id?: string;
  staff_name?: string;
}

export interface AvailabilityAnswer {
  ok: boolean;
  message: string;
  reason?: 'invalid_date' | 'unknown_appointment_type' | 'past' | 'beyond_horizon' | 'nothing_open' | StaffRefusal;
  appointment_type?: string;
  slots: OfferedSlot[];
  nearest_open_days?: { date: string; spoken: string; first_slot: OfferedSlot }[];
  timezone?: string;
}

const MAX_RANGE_DAYS = 31;
const DAY_MS = 24 * 60 * 60_000;

export function offered(slot: Slot & { staff?: StaffMember }, zone: string, language: Language = 'en'): OfferedSlot {
  const times = { start: isoInZone(slot.startMs, zone), end: isoInZone(slot.endMs, zone), spoken: spokenTime(slot.startMs, zone, language) };
  return slot.staff ? { ...times, staff_id: slot.staff.id, staff_name: slot.staff.name } : times;
}

/** A slot as the agent says it: the time, and who it is with when the office has staff. */
export function spokenOffer(slot: OfferedSlot, language: Language = 'en'): string {
  return slot.staff_name ? phrasesFor(language).staff.withPerson(slot.spoken, slot.staff_name) : slot.spoken;
}

const isDate = (text: string | undefined) => text !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(text) && DateTime.fromISO(text).isValid;

export async function checkAvailability(context: AppContext, request: AvailabilityRequest): Promise<AvailabilityAnswer> {
  const client = context.clients.get(request.clientId);
  if (!client) throw new Error(`Unknown client ${request.clientId}`);
  const config = client.config;
  const zone = config.timezone;
  const language = request.language ?? 'en';
  const say = phrasesFor(language);
  const type = resolveAppointmentType(config, request.appointmentType);
  if (!type) {
    return { ok: false, reason: 'unknown_appointment_type', slots: [], message: say.availability.unknownType(appointmentTypeNames(config, language)) };
  }
  const typeName = appointmentTypeWords(config, type.id, language).name;
  const people = candidatesFor(config, type.id, typeName, request.staff, language);
  if (!people.ok) return { ok: false, reason: people.reason, appointment_type: type.id, slots: [], message: people.message };
  const nowMs = context.clock.now().getTime();
  const today = DateTime.fromMillis(nowMs, { zone }).toISODate()!;
  const lastBookable = DateTime.fromMillis(nowMs + config.booking.horizonDays * DAY_MS, { zone }).toISODate()!;

  let fromDate = request.date ?? request.startDate ?? today;
  let toDate = request.date ?? request.endDate ?? (request.startDate ? request.startDate : DateTime.fromISO(today).plus({ days: 6 }).toISODate()!);
  for (const [name, value] of [
    ['date', request.date],
    ['start_date', request.startDate],
    ['end_date', request.endDate],
  ] as const) {
    if (value !== undefined && !isDate(value)) {
      return { ok: false, reason: 'invalid_date', slots: [], message: say.availability.invalidDate(name, value) };
    }
  }
  if (toDate < fromDate) [fromDate, toDate] = [toDate, fromDate];
  if (toDate < today) {
    return { ok: false, reason: 'past', slots: [], message: say.availability.past(spokenDay(toDate, zone, language)) };
  }
  if (fromDate > lastBookable) {
    return {
      ok: false,
      reason: 'beyond_horizon',
      slots: [],
      message: say.availability.beyondHorizon(config.booking.horizonDays, spokenDay(lastBookable, zone, language)),
    };
  }
  if (fromDate < today) fromDate = today;
  if (toDate > lastBookable) toDate = lastBookable;
  const maxTo = DateTime.fromISO(fromDate)
    .plus({ days: MAX_RANGE_DAYS - 1 })
    .toISODate()!;
  if (toDate > maxTo) toDate = maxTo;

  const notes: string[] = [];
  let preferredMs: number | undefined;
  if (request.time) {
    const [hour, minute] = request.time.split(':').map(Number) as [number, number];
    const reading = readLocalTime(fromDate, request.time, zone);
    if (reading?.kind === 'exact') preferredMs = reading.ms;
    else if (reading?.kind === 'nonexistent') {
      preferredMs = reading.next;
      notes.push(say.availability.springForward(say.time.wallClock(hour, minute), spokenDay(fromDate, zone, language)));
    } else if (reading?.kind === 'ambiguous') {
      preferredMs = reading.options[0];
      notes.push(say.availability.fallBack(say.time.wallClock(hour, minute), spokenDay(fromDate, zone, language)));
    }
  }

  // One calendar read covers the window and the days around it, for the "nearest open days" answer.
  const windowStart = DateTime.fromISO(fromDate, { zone }).startOf('day').toMillis();
  const windowEnd = DateTime.fromISO(toDate, { zone }).plus({ days: 1 }).startOf('day').toMillis();
  const fetchStart = Math.max(nowMs, windowStart - 3 * DAY_MS);
  const fetchEnd = Math.min(Math.max(windowEnd + 10 * DAY_MS, fetchStart + DAY_MS), nowMs + (config.booking.horizonDays + 1) * DAY_MS);
  let slotsFor: (from: string, to: string, partOfDay?: PartOfDay) => Array<Slot & { staff?: StaffMember }>;
  if (people.staff) {
    slotsFor = await staffSlots(context, config, {
      clientId: request.clientId,
      people: people.staff,
      type,
      nowMs,
      fetchStart,
      fetchEnd,
      signal: request.signal,
    });
  } else {
    const [view, ours] = await Promise.all([
      timed('availability:calendar', () => calendarPortOf(context).view(request.clientId, fetchStart, fetchEnd, request.signal)),
      timed('availability:ours', () => ourBusy(context.db, request.clientId, fetchStart, fetchEnd, new Date(nowMs))),
    ]);
    const busy = [...view.busy, ...ours];
    const rules = slotRulesOf(config);
    slotsFor = (from, to, partOfDay) =>
      freeSlots(rules, { nowMs, fromDate: from, toDate: to, durationMinutes: type.durationMinutes, bufferMinutes: type.bufferMinutes, busy, partOfDay });
  }

  let slots = slotsFor(fromDate, toDate, request.partOfDay);
  if (slots.length === 0 && request.partOfDay) {
    const wholeDay = slotsFor(fromDate, toDate);
    if (wholeDay.length > 0) {
      notes.push(say.availability.partOfDayEmpty(request.partOfDay));
      slots = wholeDay;
    }
  }
  const count = config.booking.maxSlotsOffered;
  if (slots.length > 0) {
    const picked = pickSlots(slots, count, { preferredMs, spacingMs: type.durationMinutes * 60_000 }).map((slot) => offered(slot, zone, language));
    return {
      ok: true,
      appointment_type: type.id,
      timezone: zone,
      slots: picked,
      message: [
        ...notes,
        say.availability.offer(
          typeName,
          picked.map((slot) => spokenOffer(slot, language)),
        ),
      ].join(' '),
    };
  }

  const around = slotsFor(DateTime.fromMillis(fetchStart, { zone }).toISODate()!, DateTime.fromMillis(fetchEnd, { zone }).toISODate()!);
  const nearest = nearestOpenDays(fromDate, toDate, around, zone, language);
  const firstOpening = new Map(around.map((slot) => [isoInZone(slot.startMs, zone), slot.startMs]));
  return {
    ok: true,
    reason: 'nothing_open',
    appointment_type: type.id,
    timezone: zone,
    slots: [],
    nearest_open_days: nearest,
    message: [
      ...notes,
      say.availability.nothingOpen(typeName, spokenDay(fromDate, zone, language), fromDate === toDate ? undefined : spokenDay(toDate, zone, language)),
      nearest.length > 0
        ? say.availability.nearestOpen(
            nearest.map((day) => ({
              day: day.spoken,
              firstOpening: spokenClock(firstOpening.get(day.first_slot.start) ?? Date.parse(day.first_slot.start), zone, language),
            })),
          )
        : say.availability.noOpeningSoon,
    ].join(' '),
  };
}

function nearestOpenDays(fromDate: string, toDate: string, around: Array<Slot & { staff?: StaffMember }>, zone: string, language: Language, count = 3) {
  const byDate = new Map<string, Slot & { staff?: StaffMember }>();
  for (const slot of around) if ((slot.date < fromDate || slot.date > toDate) && !byDate.has(slot.date)) byDate.set(slot.date, slot);
  const distance = (date: string) =>
    date < fromDate ? DateTime.fromISO(fromDate).diff(DateTime.fromISO(date), 'days').days : DateTime.fromISO(date).diff(DateTime.fromISO(toDate), 'days').days;
  return [...byDate.entries()]
    .sort(([a], [b]) => distance(a) - distance(b) || a.localeCompare(b))
    .slice(0, count)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, slot]) => ({ date, spoken: spokenDay(date, zone, language), first_slot: offered(slot, zone, language) }));
}

/**
 * Slots to offer instead of one that cannot be had: the nearest open times on that day, else the first slot
 * of the nearest open days. Used when a booking or a move loses its slot.
 */
export async function slotsNear(
  context: AppContext,
  request: { clientId: string; appointmentTypeId: string; startMs: number; signal?: AbortSignal; language?: Language; staff?: string },
): Promise<OfferedSlot[]> {
  const zone = context.clients.get(request.clientId)!.config.timezone;
  const answer = await checkAvailability(context, {
    clientId: request.clientId,
    date: localDate(request.startMs, zone),
    time: isoInZone(request.startMs, zone).slice(11, 16),
    appointmentType: request.appointmentTypeId,
    signal: request.signal,
    language: request.language,
    staff: request.staff,
  });
  return answer.slots.length > 0 ? answer.slots : (answer.nearest_open_days ?? []).map((day) => day.first_slot);
}

export type { AppointmentType };
