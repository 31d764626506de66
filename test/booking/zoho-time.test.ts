/**
 * Zoho's compact times with a fixed offset are read by arithmetic (a hot path of every slot search); the answer
 * must be exactly what Luxon's format parser gives, impossible dates and times included.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { formatZohoUtc, parseZohoTime } from '../../src/providers/zoho/calendar.js';

function luxonReading(text: string): number | undefined {
  const parsed = text.endsWith('Z')
    ? DateTime.fromFormat(text.slice(0, -1), "yyyyMMdd'T'HHmmss", { zone: 'utc' })
    : DateTime.fromFormat(text, "yyyyMMdd'T'HHmmssZZZ", { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

describe('parseZohoTime with a fixed offset', () => {
  it('agrees with Luxon on generated times, valid or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.oneof(
          fc.constant('Z'),
          fc
            .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45))
            .map(([sign, h, m]) => `${sign}${pad(h, 2)}${pad(m, 2)}`),
        ),
        (year, month, day, hour, minute, second, offset) => {
          const text = `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}T${pad(hour, 2)}${pad(minute, 2)}${pad(second, 2)}${offset}`;
          expect(parseZohoTime(text)).toBe(luxonReading(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes UTC instants exactly as Luxon did', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('1971-01-01T00:00:00Z'), max: Date.parse('2099-12-31T23:59:59Z') }), (ms) => {
        expect(formatZohoUtc(ms)).toBe(DateTime.fromMillis(ms, { zone: 'utc' }).toFormat("yyyyMMdd'T'HHmmss'Z'"));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the forms Zoho sends', () => {
    expect(parseZohoTime('20260203T140000Z')).toBe(Date.parse('2026-02-03T14:00:00Z'));
    expect(parseZohoTime('20260203T140000-0500')).toBe(Date.parse('2026-02-03T19:00:00Z'));
    expect(parseZohoTime('20261101T013000+0530')).toBe(Date.parse('2026-10-31T20:00:00Z'));
    expect(parseZohoTime('20260230T100000Z')).toBeUndefined();
    expect(parseZohoTime('20260203T140000', 'America/New_York')).toBe(Date.parse('2026-02-03T19:00:00Z'));
  });
});
