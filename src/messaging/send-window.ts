/**
 * When a message may go out. Every rule is a daily window in some zone: the recipient's local hours
 * (quiet hours, per-state overrides) and, for marketing, the office's business hours in the office's zone.
 * `nextAllowedMoment` finds the earliest instant at or after a due time that satisfies all of them, so a
 * message due outside its window moves to the next allowed moment instead of being dropped.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOfDay, type ClientConfig, type TimeRange } from '../config/client-schema.js';
import type { RecipientLocation } from './recipient.js';

export type MessagePurpose = 'transactional' | 'marketing';

export interface DailyWindow {
  /** "HH:mm" in `zone`. */
  start: string;
  end: string;
  zone: string;
}

export interface OfficeHours {
  zone: string;
  businessHours: ClientConfig['businessHours'];
  closures: ClientConfig['closures'];
  specialHours: ClientConfig['specialHours'];
}

export interface SendRules {
  window: DailyWindow;
  /** Only inside these (marketing with `marketingWithinBusinessHours`). */
  officeHours?: OfficeHours;
  /** At most this many marketing texts per rolling 24 h to one number (state override), if set. */
  maxMarketingPer24h?: number;
}

/** The rules for one message: the purpose's window, narrowed by the recipient state's override for marketing. */
export function sendRulesFor(config: ClientConfig, purpose: MessagePurpose, recipient: RecipientLocation): SendRules {
  const base = purpose === 'marketing' ? config.quietHours.marketing : config.quietHours.transactional;
  let start = base.start;
  let end = base.end;
  let maxMarketingPer24h: number | undefined;
  const override = recipient.state ? config.quietHours.stateOverrides[recipient.state] : undefined;
  // State telemarketing acts (FTSA, OTSA) govern solicitations; transactional texts keep their own window.
  if (purpose === 'marketing' && override) {
    if (minutesOfDay(override.start) > minutesOfDay(start)) start = override.start;
    if (minutesOfDay(override.end) < minutesOfDay(end)) end = override.end;
    maxMarketingPer24h = override.maxMarketingPer24h;
  }
  const rules: SendRules = { window: { start, end, zone: recipient.zone } };
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

/** Start of the window at or after `at`, or `at` itself when inside. */
function nextInWindow(at: DateTime, window: DailyWindow): DateTime {
  const local = at.setZone(window.zone);
  const open = atTime(local, window.start);
  const close = atTime(local, window.end);
  if (local < open) return open;
  if (local < close) return local;
  return atTime(local.plus({ days: 1 }), window.start);
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

function insideCachedSpan(atMs: number, window: DailyWindow): boolean {
  const span = openSpans.get(`${window.zone}|${window.start}|${window.end}`);
  return span !== undefined && span.openMs <= atMs && atMs < span.closeMs;
}

function rememberSpan(at: DateTime, window: DailyWindow): void {
  const local = at.setZone(window.zone);
  const open = atTime(local, window.start);
  const close = atTime(local, window.end);
  if (local < open || local >= close) return;
  if (openSpans.size > 1_000) openSpans.clear();
  openSpans.set(`${window.zone}|${window.start}|${window.end}`, { openMs: open.toMillis(), closeMs: close.toMillis() });
}

/** Earliest instant at or after `at` inside every window of `rules`. */
export function nextAllowedMoment(at: Date, rules: SendRules): Date {
  if (!rules.officeHours) {
    if (insideCachedSpan(at.getTime(), rules.window)) return at;
    const next = nextInWindow(DateTime.fromJSDate(at), rules.window);
    if (next.toMillis() === at.getTime()) rememberSpan(next, rules.window);
    return next.toJSDate();
  }
  let candidate: DateTime = DateTime.fromJSDate(at);
  // Each step only moves forward, and two windows that overlap on some day meet within a few steps.
  for (let step = 0; step < 64; step += 1) {
    const inWindow = nextInWindow(candidate, rules.window);
    if (inWindow > candidate) {
      candidate = inWindow;
      continue;
    }
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
