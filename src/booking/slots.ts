/**
 * Bookable slots: the office's opening hours for each local date (weekday hours, special hours, closures) in
 * the office's zone, cut into starts every `slotStepMinutes`, minus anything busy, honouring minimum notice,
 * the booking horizon and the appointment type's buffer. Pure: busy intervals and `now` come in as values.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOfDay, type ClientConfig } from '../config/client-schema.js';
import type { BusyInterval } from './calendar-port.js';
import { localDate } from './local-time.js';
import { localHour } from './zone-offset.js';

export type PartOfDay = 'morning' | 'afternoon' | 'evening';

export interface SlotRules {
  zone: string;
  businessHours: ClientConfig['businessHours'];
  closures: ClientConfig['closures'];
  specialHours: ClientConfig['specialHours'];
  minimumNoticeMinutes: number;
  horizonDays: number;
  slotStepMinutes: number;
}

export interface SlotQuery {
  nowMs: number;
  /** Local dates, inclusive. */
  fromDate: string;
  toDate: string;
  durationMinutes: number;
  bufferMinutes: number;
  busy: BusyInterval[];
  partOfDay?: PartOfDay;
}

export interface Slot {
  startMs: number;
  endMs: number;
  /** The local date the slot starts on. */
  date: string;
}

export function slotRulesOf(config: ClientConfig): SlotRules {
  return {
    zone: config.timezone,
    businessHours: config.businessHours,
    closures: config.closures,
    specialHours: config.specialHours,
    minimumNoticeMinutes: config.booking.minimumNoticeMinutes,
    horizonDays: config.booking.horizonDays,
    slotStepMinutes: config.booking.slotStepMinutes,
  };
}

/**
 * The day's opening ranges as instants. A closure wins; special hours replace the weekday's hours. The instants of
 * a (zone, date, hours) are a pure function of those three, so they are remembered (bounded): the same days repeat for
 * every caller and every staff member with the office's hours.
 */
export function openingRanges(rules: SlotRules, date: string): BusyInterval[] {
  if (rules.closures.some((closure) => closure.from <= date && date <= closure.to)) return [];
  const weekday = weekdayOf(date, rules.zone);
  if (weekday === undefined) return [];
  const ranges = rules.specialHours[date] ?? rules.businessHours[WEEKDAYS[weekday - 1]!];
  if (ranges.length === 0) return [];
  const key = `${rules.zone}|${date}|${ranges.map((range) => `${range.open}-${range.close}`).join(',')}`;
  let instants = rangesMemo.get(key);
  if (!instants) {
    const day = DateTime.fromISO(date, { zone: rules.zone });
    instants = ranges.map((range) => ({
      startMs: atLocalMinutes(day, minutesOfDay(range.open)),
      endMs: atLocalMinutes(day, minutesOfDay(range.close)),
    }));
    remember(rangesMemo, key, instants);
  }
  return instants.map((range) => ({ ...range }));
}

const MEMO_LIMIT = 20_000;
const rangesMemo = new Map<string, BusyInterval[]>();
const weekdayMemo = new Map<string, number | null>();
const datesMemo = new Map<string, string[]>();

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

/** Luxon's weekday (1 = Monday) of a local date in the zone, undefined when Luxon finds the date invalid. */
function weekdayOf(date: string, zone: string): number | undefined {
  const key = `${zone}|${date}`;
  let weekday = weekdayMemo.get(key);
  if (weekday === undefined) {
    const day = DateTime.fromISO(date, { zone });
    weekday = day.isValid ? day.weekday : null;
    remember(weekdayMemo, key, weekday);
  }
  return weekday ?? undefined;
}

/** The instant `minutes` after local midnight by the wall clock (a time skipped by DST moves forward, as Luxon does). */
function atLocalMinutes(day: DateTime, minutes: number): number {
  if (minutes >= 24 * 60) return day.plus({ days: 1 }).startOf('day').toMillis();
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
}

export function partOfDayOf(ms: number, zone: string): PartOfDay {
  const hour = localHour(ms, zone);
  return hour < 12 ? 'morning' : hour < 17 ? 'afternoon' : 'evening';
}

function overlaps(startMs: number, endMs: number, busy: BusyInterval[]): boolean {
  return busy.some((interval) => interval.startMs < endMs && interval.endMs > startMs);
}

export function localDates(fromDate: string, toDate: string, zone: string): string[] {
  const key = `${zone}|${fromDate}|${toDate}`;
  let dates = datesMemo.get(key);
  if (!dates) remember(datesMemo, key, (dates = luxonLocalDates(fromDate, toDate, zone)));
  return [...dates];
}

function luxonLocalDates(fromDate: string, toDate: string, zone: string): string[] {
  const out: string[] = [];
  let day = DateTime.fromISO(fromDate, { zone });
  const last = DateTime.fromISO(toDate, { zone });
  while (day.isValid && day <= last && out.length < 400) {
    out.push(day.toISODate());
    day = day.plus({ days: 1 });
  }
  return out;
}

/**
 * Free slots in the window, earliest first. Starts step in real minutes from each opening time, so on a DST
 * night the starts stay `slotStepMinutes` apart in real time (no phantom 2:30 AM, no double-booked 1:30 AM).
 */
export function freeSlots(rules: SlotRules, query: SlotQuery): Slot[] {
  const stepMs = rules.slotStepMinutes * 60_000;
  const durationMs = query.durationMinutes * 60_000;
  const blockMs = durationMs + query.bufferMinutes * 60_000;
  const earliest = query.nowMs + rules.minimumNoticeMinutes * 60_000;
  const latest = query.nowMs + rules.horizonDays * 24 * 60 * 60_000;
  const slots: Slot[] = [];
  for (const date of localDates(query.fromDate, query.toDate, rules.zone)) {
    for (const range of openingRanges(rules, date)) {
      for (let start = range.startMs; start + durationMs <= range.endMs; start += stepMs) {
        if (start < earliest || start > latest) continue;
        if (query.partOfDay && partOfDayOf(start, rules.zone) !== query.partOfDay) continue;
        if (overlaps(start, start + blockMs, query.busy)) continue;
        slots.push({ startMs: start, endMs: start + durationMs, date });
      }
    }
  }
  return slots;
}

/** Whether one exact start is bookable (on the grid, open, free, within notice and horizon). */
export function isSlotFree(rules: SlotRules, query: Omit<SlotQuery, 'fromDate' | 'toDate' | 'partOfDay'>, startMs: number): boolean {
  const date = localDate(startMs, rules.zone);
  return freeSlots(rules, { ...query, fromDate: date, toDate: date }).some((slot) => slot.startMs === startMs);
}

/**
 * Up to `count` slots to offer: nearest to `preferredMs` when the caller named a time, otherwise the earliest,
 * spaced at least one appointment apart so the caller hears a real choice.
 */
export function pickSlots<S extends Slot>(slots: S[], count: number, options: { preferredMs?: number; spacingMs?: number } = {}): S[] {
  if (options.preferredMs !== undefined) {
    const preferred = options.preferredMs;
    return [...slots]
      .sort((a, b) => Math.abs(a.startMs - preferred) - Math.abs(b.startMs - preferred) || a.startMs - b.startMs)
      .slice(0, count)
      .sort((a, b) => a.startMs - b.startMs);
  }
  const picked: S[] = [];
  for (const slot of slots) {
    const last = picked[picked.length - 1];
    if (last && last.date === slot.date && slot.startMs - last.startMs < (options.spacingMs ?? 0)) continue;
    picked.push(slot);
    if (picked.length >= count) break;
  }
  if (picked.length < count) {
    for (const slot of slots) {
      if (picked.length >= count) break;
      if (!picked.includes(slot)) picked.push(slot);
    }
    picked.sort((a, b) => a.startMs - b.startMs);
  }
  return picked;
}
