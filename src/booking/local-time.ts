/**
 * Wall-clock time in the office's zone: the spoken form the agent reads out, and reading a time a caller said
 * ("March 8 at 2:30 AM") into instants — which may not exist (spring forward) or exist twice (fall back).
 * Every conversion names its zone, so the server's own TZ never matters.
 */
import { DateTime } from 'luxon';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { fastIsAmbiguous, fastIsoInZone, fastLocalDate } from './zone-offset.js';

/**
 * "Tuesday, February 3 at 2:30 PM" / "el martes 3 de febrero a las dos y media de la tarde"; an hour that happens
 * twice that night also names the zone ("1:30 AM EDT", "…, hora de verano oriental").
 */
export function spokenTime(ms: number, zone: string, language: Language = 'en'): string {
  // A function of the instant, zone and language alone; the same slot starts are offered to every caller.
  const key = `${zone}|${language}|${ms}`;
  let spoken = spokenTimes.get(key);
  if (spoken === undefined) {
    spoken = luxonSpokenTime(ms, zone, language);
    if (spokenTimes.size >= 20_000) spokenTimes.clear();
    spokenTimes.set(key, spoken);
  }
  return spoken;
}

const spokenTimes = new Map<string, string>();

/** The wording itself (Luxon), without the memo. */
export function luxonSpokenTime(ms: number, zone: string, language: Language = 'en'): string {
  const phrases = phrasesFor(language);
  return phrases.time.spoken(DateTime.fromMillis(ms, { zone }).setLocale(phrases.locale), isAmbiguous(ms, zone));
}

/** The time of day alone ("2:30 PM"), with the zone when that hour happens twice. */
export function spokenClock(ms: number, zone: string, language: Language = 'en'): string {
  const phrases = phrasesFor(language);
  return phrases.time.clock(DateTime.fromMillis(ms, { zone }).setLocale(phrases.locale), isAmbiguous(ms, zone));
}

/** "Tuesday, February 3". */
export function spokenDay(date: string, zone: string, language: Language = 'en'): string {
  const phrases = phrasesFor(language);
  return phrases.time.day(DateTime.fromISO(date, { zone }).setLocale(phrases.locale));
}

/** ISO 8601 with the office's offset, e.g. 2026-02-03T14:30:00-05:00. */
export function isoInZone(ms: number, zone: string): string {
  return fastIsoInZone(ms, zone) ?? luxonIsoInZone(ms, zone);
}

export function luxonIsoInZone(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

export function localDate(ms: number, zone: string): string {
  return fastLocalDate(ms, zone) ?? luxonLocalDate(ms, zone);
}

export function luxonLocalDate(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() ?? '';
}

/** Whether the wall-clock time of `ms` happens twice in `zone` (the repeated hour when clocks fall back). */
export function isAmbiguous(ms: number, zone: string): boolean {
  return fastIsAmbiguous(ms, zone) ?? luxonIsAmbiguous(ms, zone);
}

/** The same question asked of Luxon's formatting (the reference; used for zones that are not IANA names). */
export function luxonIsAmbiguous(ms: number, zone: string): boolean {
  const wall = DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm');
  return [-60, -30, 30, 60].some((minutes) => DateTime.fromMillis(ms + minutes * 60_000, { zone }).toFormat('yyyy-MM-dd HH:mm') === wall);
}

export type LocalTimeReading =
  | { kind: 'exact'; ms: number }
  /** Clocks jump over this time; `next` is the first real instant after the gap. */
  | { kind: 'nonexistent'; next: number }
  /** Clocks fall back over this time: it happens twice, earliest first. */
  | { kind: 'ambiguous'; options: [number, number] };

/** Reads a local date ("2026-03-08") and time ("02:30") in `zone`. Undefined when the text is not a date/time. */
export function readLocalTime(date: string, time: string, zone: string): LocalTimeReading | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const clock = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!match || !clock) return undefined;
  const wanted = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: Number(clock[1]), minute: Number(clock[2]) };
  const local = DateTime.fromObject(wanted, { zone });
  if (!local.isValid) return undefined;
  if (local.hour !== wanted.hour || local.minute !== wanted.minute || local.day !== wanted.day) {
    return { kind: 'nonexistent', next: local.toMillis() };
  }
  const ms = local.toMillis();
  const twins = [-60, -30, 30, 60]
    .map((minutes) => ms + minutes * 60_000)
    .filter((other) => {
      const again = DateTime.fromMillis(other, { zone });
      return again.hour === wanted.hour && again.minute === wanted.minute && again.day === wanted.day;
    });
  if (twins.length > 0) {
    const options = [ms, twins[0]!].sort((a, b) => a - b) as [number, number];
    return { kind: 'ambiguous', options };
  }
  return { kind: 'exact', ms };
}

/**
 * Reads what the agent passed as a start: an ISO instant with offset or Z (what availability handed out),
 * or a local "YYYY-MM-DDTHH:mm" read in the office's zone.
 */
export function readStart(text: string, zone: string): LocalTimeReading | undefined {
  const trimmed = text.trim();
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) {
    const parsed = DateTime.fromISO(trimmed, { setZone: true });
    return parsed.isValid ? { kind: 'exact', ms: parsed.toMillis() } : undefined;
  }
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2})(:00)?$/.exec(trimmed);
  return local ? readLocalTime(local[1]!, local[2]!, zone) : undefined;
}
