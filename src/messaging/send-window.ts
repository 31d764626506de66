/**
 * When a message may go out. Every rule is a daily window in some zone: the recipient's local hours
 * (quiet hours, per-state overrides, Canada's telemarketing hours) in every zone the recipient's area code spans,
 * and, for marketing, the office's business hours in the office's zone.
 * `nextAllowedMoment` finds the earliest instant at or after a due time that satisfies all of them, so a
 * message due outside its window moves to the next allowed moment instead of being dropped.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOfDay, type ClientConfig, type TimeRange } from '../config/client-schema.js';
import type { RecipientLocation } from './recipient.js';

export type MessagePurpose = 'transactional' | 'marketing';

export interface DailyHours {
  /** "HH:mm" local. */
  start: string;
  end: string;
}

export interface DailyWindow extends DailyHours {
  zone: string;
  /** Saturday and Sunday hours, when they differ from the weekdays' (Canada's telemarketing rules). */
  weekend?: DailyHours;
}

export interface OfficeHours {
  zone: string;
  businessHours: ClientConfig['businessHours'];
  closures: ClientConfig['closures'];
  specialHours: ClientConfig['specialHours'];
}

export interface SendRules {
  /**
   * The same local hours in each zone the recipient may be in; a message goes only when inside all of them, which is
   * the latest local opening and the earliest local closing (a 208 number: 08:00 Mountain opens, 21:00 Pacific closes).
   */
  windows: DailyWindow[];
  /** Only inside these (marketing with `marketingWithinBusinessHours`). */
  officeHours?: OfficeHours;
  /** At most this many marketing texts per rolling 24 h to one number (state override), if set. */
  maxMarketingPer24h?: number;
}

/**
 * CRTC Unsolicited Telecommunications Rules, Telemarketing Rules: telemarketing telecommunications only 09:00–21:30 on
 * weekdays and 10:00–18:00 on Saturdays and Sundays, in the called person's local time. Applied to marketing texts
 * to Canadian numbers; the office's configured window stays the floor (this only narrows it). See decisions.md.
 */
const CANADIAN_TELEMARKETING_HOURS = { weekday: { start: '09:00', end: '21:30' }, weekend: { start: '10:00', end: '18:00' } };

/** The later opening and the earlier closing of two windows (may be empty: start at or after end). */
function narrow(hours: DailyHours, by: DailyHours): DailyHours {
  return {
    start: minutesOfDay(by.start) > minutesOfDay(hours.start) ? by.start : hours.start,
    end: minutesOfDay(by.end) < minutesOfDay(hours.end) ? by.end : hours.end,
  };
}

/** The rules for one message: the purpose's window, narrowed for marketing by the recipient's state or country. */
export function sendRulesFor(config: ClientConfig, purpose: MessagePurpose, recipient: RecipientLocation): SendRules {
  const base = purpose === 'marketing' ? config.quietHours.marketing : config.quietHours.transactional;
  let hours: DailyHours = { start: base.start, end: base.end };
  let weekend: DailyHours | undefined;
  let maxMarketingPer24h: number | undefined;
  const override = recipient.country !== 'CA' && recipient.state ? config.quietHours.stateOverrides[recipient.state] : undefined;
  // State telemarketing acts (FTSA, OTSA) govern solicitations; transactional texts keep their own window.
  if (purpose === 'marketing' && override) {
    hours = narrow(hours, override);
    maxMarketingPer24h = override.maxMarketingPer24h;
  }
  if (purpose === 'marketing' && recipient.country === 'CA') {
    weekend = narrow(hours, CANADIAN_TELEMARKETING_HOURS.weekend);
    hours = narrow(hours, CANADIAN_TELEMARKETING_HOURS.weekday);
  }
  const zones = recipient.zones.length > 0 ? recipient.zones : [recipient.zone];
  const rules: SendRules = { windows: zones.map((zone) => (weekend ? { ...hours, zone, weekend } : { ...hours, zone })) };
  if (maxMarketingPer24h !== undefined) rules.maxMarketingPer24h = maxMarketingPer24h;
  if (purpose === 'marketing' && config.quietHours.marketingWithinBusinessHours) {
    rules.officeHours = {
      zone: config.timezone,
      businessHours: config.businessHours,
      closures: config.closures,
      specialHours: config.specialHours,
    };
  }
  return rules;
}

function atTime(day: DateTime, time: string): DateTime {
  const minutes = minutesOfDay(time);
  if (minutes >= 24 * 60) return day.startOf('day').plus({ days: 1 });
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 });
}

function hoursOn(day: DateTime, window: DailyWindow): DailyHours {
  return window.weekend && day.weekday >= 6 ? window.weekend : window;
}

/** Start of the window at or after `at`, or `at` itself when inside. */
function nextInWindow(at: DateTime, window: DailyWindow): DateTime {
  const local = at.setZone(window.zone);
  for (let offset = 0; offset < 8; offset += 1) {
    const day = offset === 0 ? local : local.plus({ days: offset }).startOf('day');
    const hours = hoursOn(day, window);
    const open = atTime(day, hours.start);
    const close = atTime(day, hours.end);
    // A day whose narrowed window is empty (a late configured window against Canada's weekend hours) is skipped.
    if (open >= close) continue;
    if (day < open) return open;
    if (day < close) return day;
  }
  // Never open: hold the message (it is looked at again then), never send it outside its hours.
  return local.plus({ days: 7 });
}

/** "08:00-21:00 (weekends 10:00-18:00) America/Boise and America/Los_Angeles", for a rescheduled row's reason. */
export function describeWindows(rules: SendRules): string {
  const first = rules.windows[0];
  if (!first) return 'no window';
  const weekend = first.weekend ? ` (weekends ${first.weekend.start}-${first.weekend.end})` : '';
  return `${first.start}-${first.end}${weekend} ${rules.windows.map((window) => window.zone).join(' and ')}`;
}

function rangesOn(day: DateTime, hours: OfficeHours): TimeRange[] {
  const iso = day.toISODate() ?? '';
  const special = hours.specialHours[iso];
  if (special) return special;
  if (hours.closures.some((closure) => closure.from <= iso && iso <= closure.to)) return [];
  return hours.businessHours[WEEKDAYS[day.weekday - 1]!];
}

/** The office's next open moment at or after `at` (within two weeks), or undefined if it never opens. */
function nextOfficeOpen(at: DateTime, hours: OfficeHours): DateTime | undefined {
  const local = at.setZone(hours.zone);
  for (let offset = 0; offset < 14; offset += 1) {
    const day = local.plus({ days: offset }).startOf('day');
    const ranges = [...rangesOn(day, hours)].sort((a, b) => minutesOfDay(a.open) - minutesOfDay(b.open));
    for (const range of ranges) {
      const open = atTime(day, range.open);
      const close = atTime(day, range.close);
      if (local < open) return open;
      if (local < close) return local;
    }
  }
  return undefined;
}

/**
 * The open span (epoch ms) of a daily window on the day last seen inside it, per window and zone: while a burst
 * of messages is due, each one is answered by two comparisons instead of zone arithmetic (Luxon was a visible
 * share of a send's CPU). Filled only from an instant found inside the window, so it never changes an answer.
 */
const openSpans = new Map<string, { openMs: number; closeMs: number }>();

function spanKey(window: DailyWindow): string {
  return `${window.zone}|${window.start}|${window.end}|${window.weekend ? `${window.weekend.start}|${window.weekend.end}` : ''}`;
}

function insideCachedSpan(atMs: number, window: DailyWindow): boolean {
  const span = openSpans.get(spanKey(window));
  return span !== undefined && span.openMs <= atMs && atMs < span.closeMs;
}

function rememberSpan(at: DateTime, window: DailyWindow): void {
  const local = at.setZone(window.zone);
  const hours = hoursOn(local, window);
  const open = atTime(local, hours.start);
  const close = atTime(local, hours.end);
  if (local < open || local >= close) return;
  if (openSpans.size > 1_000) openSpans.clear();
  openSpans.set(spanKey(window), { openMs: open.toMillis(), closeMs: close.toMillis() });
}

/** Earliest instant at or after `at` inside every window of `rules`. */
export function nextAllowedMoment(at: Date, rules: SendRules): Date {
  const only = rules.windows.length === 1 && !rules.officeHours ? rules.windows[0] : undefined;
  if (only) {
    if (insideCachedSpan(at.getTime(), only)) return at;
    const next = nextInWindow(DateTime.fromJSDate(at), only);
    if (next.toMillis() === at.getTime()) rememberSpan(next, only);
    return next.toJSDate();
  }
  let candidate: DateTime = DateTime.fromJSDate(at);
  // Each step only moves forward, and windows that overlap on some day meet within a few steps.
  for (let step = 0; step < 64; step += 1) {
    let moved = false;
    for (const window of rules.windows) {
      const inWindow = nextInWindow(candidate, window);
      if (inWindow > candidate) {
        candidate = inWindow;
        moved = true;
      }
    }
    if (moved) continue;
    if (rules.officeHours) {
      const open = nextOfficeOpen(candidate, rules.officeHours);
      // An office with no hours at all cannot restrict anything; quiet hours still hold.
      if (open && open > candidate) {
        candidate = open;
        continue;
      }
    }
    return candidate.toJSDate();
  }
  return candidate.toJSDate();
}

/** Texts always keep a window; e-mail only when it is marketing (no one's phone buzzes at night for an e-mail). */
export function windowApplies(channel: 'sms' | 'email', purpose: MessagePurpose): boolean {
  return channel === 'sms' || purpose === 'marketing';
}
