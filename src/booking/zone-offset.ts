/**
 * A zone's UTC offset at an instant, remembered per hour, and the wall-clock fields built from it. Luxon asks
 * `Intl.DateTimeFormat.formatToParts` for every offset (the largest Luxon cost of slot generation when 200 callers
 * ask at once); the same hours repeat across slots, days and callers, so each hour is asked once.
 *
 * Correct across DST: an hour is remembered only when the offset at its first and its last millisecond agree;
 * an hour holding a transition (or any zone Luxon does not treat as IANA: "UTC", "local", "UTC+3") is asked of
 * Luxon every time. (Two transitions cancelling each other inside one hour would fool the check; no zone has one.)
 * Luxon itself is not touched.
 */
import { DateTime, IANAZone } from 'luxon';

const HOUR_MS = 60 * 60_000;
const MAX_HOURS_PER_ZONE = 50_000;
/** Per zone: hour number → offset in minutes, or NaN for an hour with a transition. */
const hoursByZone = new Map<string, Map<number, number>>();
const ianaZones = new Map<string, IANAZone | null>();

/** The Luxon IANA zone for `zone`, or null when Luxon would read the name as something else (UTC, fixed, local). */
function ianaZone(zone: string): IANAZone | null {
  let found = ianaZones.get(zone);
  if (found === undefined) {
    const lower = zone.toLowerCase();
    const special = ['utc', 'gmt', 'z', 'local', 'system', 'default'].includes(lower) || /^(utc|gmt)[+-]/.test(lower);
    found = !special && IANAZone.isValidZone(zone) ? IANAZone.create(zone) : null;
    if (ianaZones.size > 1_000) ianaZones.clear();
    ianaZones.set(zone, found);
  }
  return found;
}

/** Offset of `zone` at `ms` in minutes (as Luxon's `DateTime.fromMillis(ms, { zone }).offset`); undefined if not IANA. */
export function zoneOffsetMinutes(ms: number, zone: string): number | undefined {
  const tz = ianaZone(zone);
  if (!tz) return undefined;
  let hours = hoursByZone.get(zone);
  if (!hours) hoursByZone.set(zone, (hours = new Map()));
  const hour = Math.floor(ms / HOUR_MS);
  let offset = hours.get(hour);
  if (offset === undefined) {
    const first = tz.offset(hour * HOUR_MS);
    offset = first === tz.offset(hour * HOUR_MS + HOUR_MS - 1) ? first : Number.NaN;
    if (hours.size >= MAX_HOURS_PER_ZONE) hours.clear();
    hours.set(hour, offset);
  }
  return Number.isNaN(offset) ? tz.offset(ms) : offset;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.trunc(abs / 60))}:${pad2(Math.round(abs % 60))}`;
}

/** ISO 8601 with the zone's offset, exactly as Luxon's `toISO({ suppressMilliseconds: true })`. */
export function fastIsoInZone(ms: number, zone: string): string | undefined {
  const offset = zoneOffsetMinutes(ms, zone);
  if (offset === undefined || !Number.isInteger(offset)) return undefined;
  const wall = new Date(ms + offset * 60_000);
  const year = wall.getUTCFullYear();
  if (year < 1000 || year > 9999) return undefined;
  const millis = wall.getUTCMilliseconds();
  const time = `${pad2(wall.getUTCHours())}:${pad2(wall.getUTCMinutes())}:${pad2(wall.getUTCSeconds())}${millis ? `.${String(millis).padStart(3, '0')}` : ''}`;
  return `${year}-${pad2(wall.getUTCMonth() + 1)}-${pad2(wall.getUTCDate())}T${time}${offsetText(offset)}`;
}

/** The local date (YYYY-MM-DD) of `ms` in `zone`. */
export function fastLocalDate(ms: number, zone: string): string | undefined {
  return fastIsoInZone(ms, zone)?.slice(0, 10);
}

/** The local hour (0–23) of `ms` in `zone`. */
export function localHour(ms: number, zone: string): number {
  const offset = zoneOffsetMinutes(ms, zone);
  if (offset === undefined) return DateTime.fromMillis(ms, { zone }).hour;
  return new Date(ms + offset * 60_000).getUTCHours();
}

/**
 * Whether the wall-clock minute of `ms` also happens 30 or 60 minutes earlier or later (the repeated hour when clocks
 * fall back): the wall minute of `ms + d` equals that of `ms` exactly when the offset moved by `-d`.
 */
export function fastIsAmbiguous(ms: number, zone: string): boolean | undefined {
  const here = zoneOffsetMinutes(ms, zone);
  if (here === undefined) return undefined;
  return [-60, -30, 30, 60].some((minutes) => zoneOffsetMinutes(ms + minutes * 60_000, zone)! - here === -minutes);
}
