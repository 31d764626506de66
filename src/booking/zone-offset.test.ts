import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { phrasesFor } from '../i18n/phrases/index.js';
import { isAmbiguous, isoInZone, localDate, luxonIsAmbiguous, luxonIsoInZone, luxonLocalDate, spokenTime } from './local-time.js';
import { partOfDayOf } from './slots.js';
import { localHour, zoneOffsetMinutes } from './zone-offset.js';

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Europe/Madrid',
  'Australia/Lord_Howe',
  'Asia/Tokyo',
  'America/Santiago',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'America/St_Johns',
  'Etc/UTC',
  'UTC',
  'utc',
];
const DAY_MS = 24 * 60 * 60_000;

/** Every instant every 15 minutes (and 1 ms either side) of each day, 2024–2029, whose offset changed. */
function aroundTransitions(zone: string): number[] {
  const out: number[] = [];
  const start = Date.UTC(2024, 0, 1);
  for (let day = start; day < Date.UTC(2030, 0, 1); day += DAY_MS) {
    if (DateTime.fromMillis(day, { zone }).offset === DateTime.fromMillis(day + DAY_MS, { zone }).offset) continue;
    for (let ms = day - 2 * 60 * 60_000; ms <= day + DAY_MS + 2 * 60 * 60_000; ms += 15 * 60_000) out.push(ms - 1, ms, ms + 1);
  }
  return out;
}

function seeded(seed: number) {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

describe('zone offsets remembered per hour', () => {
  it('answer exactly as Luxon around every DST transition of 2024–2029 and at random instants, in zones with 30- and 45-minute offsets', () => {
    const random = seeded(21);
    let checked = 0;
    let transitionsSeen = 0;
    for (const zone of ZONES) {
      const around = aroundTransitions(zone);
      if (around.length > 0) transitionsSeen += 1;
      const randomInstants = Array.from({ length: 600 }, () => Math.floor(Date.UTC(2020, 0, 1) + random() * 15 * 365 * DAY_MS));
      // Twice: the second pass answers from the remembered hours.
      for (const pass of [1, 2]) {
        for (const ms of [...around, ...randomInstants]) {
          const luxon = DateTime.fromMillis(ms, { zone });
          const offset = zoneOffsetMinutes(ms, zone);
          if (offset !== undefined) expect(offset, `${zone} ${ms} pass ${pass}`).toBe(luxon.offset);
          expect(isoInZone(ms, zone), `${zone} ${ms}`).toBe(luxonIsoInZone(ms, zone));
          expect(localDate(ms, zone)).toBe(luxonLocalDate(ms, zone));
          expect(localHour(ms, zone)).toBe(luxon.hour);
          expect(isAmbiguous(ms, zone), `${zone} ${ms}`).toBe(luxonIsAmbiguous(ms, zone));
          checked += 1;
        }
      }
    }
    expect(transitionsSeen).toBeGreaterThanOrEqual(7);
    expect(checked).toBeGreaterThan(30_000);
  });

  it('finds the repeated hour and the part of day on the New York fall-back night', () => {
    const zone = 'America/New_York';
    const firstOneThirty = Date.parse('2026-11-01T01:30:00-04:00');
    const secondOneThirty = Date.parse('2026-11-01T01:30:00-05:00');
    expect(isAmbiguous(firstOneThirty, zone)).toBe(true);
    expect(isAmbiguous(secondOneThirty, zone)).toBe(true);
    expect(isAmbiguous(Date.parse('2026-11-01T03:00:00-05:00'), zone)).toBe(false);
    expect(isoInZone(secondOneThirty, zone)).toBe('2026-11-01T01:30:00-05:00');
    expect(partOfDayOf(Date.parse('2026-03-08T11:59:00-04:00'), zone)).toBe('morning');
    expect(partOfDayOf(Date.parse('2026-03-08T12:00:00-04:00'), zone)).toBe('afternoon');
    expect(zoneOffsetMinutes(0, 'UTC')).toBeUndefined();
  });

  it('speaks every half hour of the New York and Madrid DST weeks as Luxon does, with the zone on the repeated hour, asked twice', () => {
    for (const [zone, from] of [
      ['America/New_York', '2026-10-29T00:00:00Z'],
      ['America/New_York', '2026-03-05T00:00:00Z'],
      ['Europe/Madrid', '2026-10-22T00:00:00Z'],
    ] as const) {
      for (const language of ['en', 'es'] as const) {
        const phrases = phrasesFor(language);
        for (let ms = Date.parse(from); ms < Date.parse(from) + 7 * DAY_MS; ms += 30 * 60_000) {
          const expected = phrases.time.spoken(DateTime.fromMillis(ms, { zone }).setLocale(phrases.locale), luxonIsAmbiguous(ms, zone));
          expect(spokenTime(ms, zone, language)).toBe(expected);
          expect(spokenTime(ms, zone, language)).toBe(expected);
        }
      }
    }
    expect(spokenTime(Date.parse('2026-11-01T01:30:00-05:00'), 'America/New_York', 'en')).toBe('Sunday, November 1 at 1:30 AM EST');
    expect(spokenTime(Date.parse('2026-11-01T01:30:00-04:00'), 'America/New_York', 'en')).toBe('Sunday, November 1 at 1:30 AM EDT');
  });
});
