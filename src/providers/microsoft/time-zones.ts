/**
 * Graph names zones two ways: Windows names ("Eastern Standard Time", "US Mountain Standard Time" for Phoenix)
 * and a fixed list of IANA names. Both directions go through CLDR's windowsZones table as the `windows-iana`
 * package ships it (Node's Intl knows no Windows names); see docs/decisions.md.
 */
import { DateTime, IANAZone } from 'luxon';
import { findIana, findWindows } from 'windows-iana';

/** The Windows name Graph accepts for an IANA zone; `UTC` when CLDR has none (the instant stays exact). */
export function windowsZoneOf(ianaZone: string): string {
  if (/^(utc|etc\/utc|z)$/i.test(ianaZone)) return 'UTC';
  return findWindows(ianaZone)[0] ?? 'UTC';
}

/** An IANA zone for what Graph wrote: `UTC`, an IANA name, or a Windows name (CLDR's "001" territory choice). */
export function ianaZoneOf(graphZone: string | undefined): string | undefined {
  if (!graphZone) return undefined;
  const name = graphZone.trim();
  if (/^(utc|coordinated universal time|tzone:\/\/microsoft\/utc)$/i.test(name)) return 'UTC';
  if (IANAZone.isValidZone(name)) return name;
  return findIana(name)[0];
}

/**
 * `{dateTime, timeZone}` from Graph (`2026-03-09T13:00:00.0000000`, no offset) as UTC milliseconds. Undefined when
 * the zone is unknown or the text is not a date-time.
 */
export function instantOf(value: { dateTime?: string | null; timeZone?: string | null } | undefined | null): number | undefined {
  if (!value?.dateTime) return undefined;
  const zone = ianaZoneOf(value.timeZone ?? 'UTC');
  if (!zone) return undefined;
  // Graph writes seven fractional digits; ISO parsers take three.
  const text = value.dateTime.replace(/(\.\d{3})\d+/, '$1');
  const parsed = DateTime.fromISO(text, { zone });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/**
 * Like `instantOf`, but a wall time that names two instants (the repeated hour when clocks fall back; Graph answers
 * in the mailbox's zone when a mailbox ignores `Prefer: outlook.timezone`) becomes whichever of `known` (what we
 * asked for, or the instants we stored on the event) shows that same wall time in that zone. A known instant that
 * does not (the event was moved in Outlook since) is ignored: the wall time alone decides.
 */
export function settledInstantOf(
  value: { dateTime?: string | null; timeZone?: string | null } | undefined | null,
  known: Array<number | undefined>,
): number | undefined {
  const read = instantOf(value);
  if (read === undefined || !value?.dateTime) return read;
  const zone = ianaZoneOf(value.timeZone ?? 'UTC')!;
  const wall = value.dateTime.slice(0, 19);
  return known.find((ms) => ms !== undefined && ms !== read && DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss") === wall) ?? read;
}

/**
 * An instant as Graph's `dateTimeTimeZone` in the office's zone, under its Windows name. A wall time that does not
 * name the instant by itself (the repeated hour when clocks fall back) is written in UTC instead, so Exchange cannot
 * pick the other one.
 */
export function graphDateTime(ms: number, ianaZone: string): { dateTime: string; timeZone: string } {
  const windows = windowsZoneOf(ianaZone);
  const zone = windows === 'UTC' ? 'UTC' : ianaZone;
  const local = DateTime.fromMillis(ms, { zone });
  const wall = local.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const roundTrip = DateTime.fromISO(wall, { zone }).toMillis();
  const ambiguous =
    DateTime.fromMillis(ms + 60 * 60_000, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss") === wall ||
    DateTime.fromMillis(ms - 60 * 60_000, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss") === wall;
  if (windows === 'UTC' || roundTrip !== ms || ambiguous) {
    return { dateTime: DateTime.fromMillis(ms, { zone: 'UTC' }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' };
  }
  return { dateTime: wall, timeZone: windows };
}
