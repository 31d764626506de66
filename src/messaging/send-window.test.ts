import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { WEEKDAYS, clientConfigSchema } from '../config/client-schema.js';
import { readFileSync } from 'node:fs';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { canadianAreaCodes } from './area-codes.js';
import { locateRecipient } from './recipient.js';
import { nextAllowedMoment, sendRulesFor } from './send-window.js';

const config = clientConfigSchema.parse(JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')));

describe('send window', () => {
  it('finds the recipient zone from the area code, else the office zone', () => {
    expect(locateRecipient('+18505550123', config.timezone)).toEqual({
      state: 'FL',
      country: 'US',
      zone: 'America/Chicago',
      zones: ['America/Chicago', 'America/New_York'],
      basis: 'area_code',
    });
    expect(locateRecipient('+13055550123', config.timezone)).toEqual({
      state: 'FL',
      country: 'US',
      zone: 'America/New_York',
      zones: ['America/New_York'],
      basis: 'area_code',
    });
    expect(locateRecipient('+447700900123', config.timezone)).toEqual({
      state: undefined,
      zone: 'America/New_York',
      zones: ['America/New_York'],
      basis: 'client_zone',
    });
    expect(locateRecipient('+16045550123', config.timezone)).toEqual({
      state: 'BC',
      country: 'CA',
      zone: 'America/Vancouver',
      zones: ['America/Vancouver'],
      basis: 'area_code',
    });
    expect(locateRecipient('+17095550123', config.timezone)).toMatchObject({ state: 'NL', country: 'CA', zone: 'America/St_Johns' });
    expect(locateRecipient('+13065550123', config.timezone)).toMatchObject({ state: 'SK', zone: 'America/Regina' });
  });

  it('narrows marketing to the Florida override (08:00-20:00) and carries its cap, but not transactional', () => {
    const florida = locateRecipient('+13055550123', config.timezone);
    expect(sendRulesFor(config, 'marketing', florida)).toMatchObject({ windows: [{ start: '08:00', end: '20:00' }], maxMarketingPer24h: 3 });
    const transactional = sendRulesFor(config, 'transactional', florida);
    expect(transactional.windows).toEqual([{ start: '08:00', end: '21:00', zone: 'America/New_York' }]);
    expect(transactional.maxMarketingPer24h).toBeUndefined();
    expect(transactional.officeHours).toBeUndefined();
  });

  it('a transactional text due at 21:30 moves to 08:00 the next morning in the recipient zone', () => {
    const rules = sendRulesFor(config, 'transactional', locateRecipient('+14155550123', config.timezone));
    expect(nextAllowedMoment(new Date('2026-03-03T05:30:00Z'), rules).toISOString()).toBe('2026-03-03T16:00:00.000Z');
    expect(nextAllowedMoment(new Date('2026-03-03T17:00:00Z'), rules).toISOString()).toBe('2026-03-03T17:00:00.000Z');
  });

  it('marketing skips the lunch break, Sunday and closures of the office', () => {
    const rules = sendRulesFor(config, 'marketing', locateRecipient('+12125550123', config.timezone));
    // Tuesday 12:30 New York: closed for lunch until 13:00.
    expect(nextAllowedMoment(new Date('2026-03-03T17:30:00Z'), rules).toISOString()).toBe('2026-03-03T18:00:00.000Z');
    // Saturday 17:00: closed until Monday 09:00.
    expect(nextAllowedMoment(new Date('2026-03-07T22:00:00Z'), rules).toISOString()).toBe('2026-03-09T13:00:00.000Z');
    // Christmas Day is closed.
    expect(nextAllowedMoment(new Date('2026-12-25T15:00:00Z'), rules).toISOString()).toBe('2026-12-26T15:00:00.000Z');
  });

  it('handles the day clocks go forward: 08:00 local is still 08:00', () => {
    const rules = sendRulesFor(config, 'transactional', locateRecipient('+12125550123', config.timezone));
    expect(nextAllowedMoment(new Date('2026-03-08T06:00:00Z'), rules).toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });

  it('answers the same for any sequence of instants as the uncached rule does (DST days and zones included)', () => {
    const allDay = [{ open: '00:00', close: '24:00' }];
    const zones = ['America/New_York', 'America/Los_Angeles', 'America/Phoenix', 'Pacific/Honolulu'];
    const from = new Date('2026-03-06T00:00:00Z').getTime();
    const to = new Date('2026-11-03T00:00:00Z').getTime();
    fc.assert(
      // Instants within two days of each other, on whole minutes, so that calls land just inside and just
      // outside a span an earlier call remembered.
      fc.property(
        fc.integer({ min: from, max: to }),
        fc.array(fc.tuple(fc.constantFrom(...zones), fc.integer({ min: 0, max: 48 * 60 })), { minLength: 1, maxLength: 60 }),
        (base, calls) => {
          for (const [zone, minutes] of calls) {
            const atMs = Math.floor(base / 60_000) * 60_000 + minutes * 60_000;
            const rules = sendRulesFor(config, 'transactional', { state: undefined, zone, zones: [zone], basis: 'client_zone' });
            // An office open around the clock restricts nothing, and takes the general path without the cache.
            const reference = {
              ...rules,
              officeHours: {
                zone,
                businessHours: Object.fromEntries(WEEKDAYS.map((day) => [day, allDay])) as typeof config.businessHours,
                closures: [],
                specialHours: {},
              },
            };
            // Twice: the second call is answered from the span the first one remembered.
            for (let repeat = 0; repeat < 2; repeat += 1) {
              expect(nextAllowedMoment(new Date(atMs), rules).toISOString()).toBe(nextAllowedMoment(new Date(atMs), reference).toISOString());
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a Vancouver (604) number's text due at 07:00 Pacific waits for 08:00 Pacific, not the office's 08:00 Eastern", () => {
    const rules = sendRulesFor(config, 'transactional', locateRecipient('+16045550123', config.timezone));
    // Wednesday 07:00 in Vancouver is 10:00 in New York, where the office is.
    expect(nextAllowedMoment(new Date('2026-03-04T15:00:00Z'), rules).toISOString()).toBe('2026-03-04T16:00:00.000Z');
  });

  it('a 208 number (Idaho: Mountain, and Pacific in the north) gets the later opening and the earlier closing', () => {
    const rules = sendRulesFor(config, 'transactional', locateRecipient('+12085550123', config.timezone));
    expect(rules.windows.map((window) => window.zone)).toEqual(['America/Boise', 'America/Los_Angeles']);
    // 08:00 in Boise is 07:00 in Coeur d'Alene: wait for 08:00 Pacific (09:00 Mountain).
    expect(nextAllowedMoment(new Date('2026-03-04T15:00:00Z'), rules).toISOString()).toBe('2026-03-04T16:00:00.000Z');
    // 20:30 Mountain (19:30 Pacific) is fine; 21:00 Mountain closes it although it is only 20:00 in the north.
    expect(nextAllowedMoment(new Date('2026-03-05T03:30:00Z'), rules).toISOString()).toBe('2026-03-05T03:30:00.000Z');
    expect(nextAllowedMoment(new Date('2026-03-05T04:00:00Z'), rules).toISOString()).toBe('2026-03-05T16:00:00.000Z');
  });

  it('marketing texts to Canadian numbers keep the CRTC telemarketing hours inside the configured window', () => {
    const anyHours = { ...config, quietHours: { ...config.quietHours, marketingWithinBusinessHours: false } };
    const rules = sendRulesFor(anyHours, 'marketing', locateRecipient('+16045550123', config.timezone));
    expect(rules.windows).toEqual([{ start: '09:00', end: '21:00', zone: 'America/Vancouver', weekend: { start: '10:00', end: '18:00' } }]);
    // Wednesday 08:30 Vancouver: the CRTC opens at 09:00.
    expect(nextAllowedMoment(new Date('2026-03-04T16:30:00Z'), rules).toISOString()).toBe('2026-03-04T17:00:00.000Z');
    // Wednesday 21:15: the CRTC allows until 21:30, the office's own 21:00 stays the floor: Thursday 09:00.
    expect(nextAllowedMoment(new Date('2026-03-05T05:15:00Z'), rules).toISOString()).toBe('2026-03-05T17:00:00.000Z');
    // Saturday 18:30: weekends end at 18:00; Sunday opens at 10:00.
    expect(nextAllowedMoment(new Date('2026-03-08T02:30:00Z'), rules).toISOString()).toBe('2026-03-08T17:00:00.000Z');
    // Transactional texts keep their own window, and US numbers are unaffected.
    expect(sendRulesFor(anyHours, 'transactional', locateRecipient('+16045550123', config.timezone)).windows[0]).toEqual({
      start: '08:00',
      end: '21:00',
      zone: 'America/Vancouver',
    });
    expect(sendRulesFor(anyHours, 'marketing', locateRecipient('+14155550123', config.timezone)).windows[0]!.weekend).toBeUndefined();
  });

  it('a moment allowed for a number spanning zones is inside the window in every one of its zones', () => {
    const numbers = [
      '+12085550123',
      '+15415550123',
      '+18505550123',
      '+16055550123',
      '+19065550123',
      '+19285550123',
      '+12505550123',
      '+13065550123',
      '+18675550123',
      '+17095550123',
    ];
    const from = new Date('2026-01-01T00:00:00Z').getTime();
    fc.assert(
      fc.property(fc.constantFrom(...numbers), fc.integer({ min: 0, max: 365 * 24 * 60 }), (phone, minutes) => {
        const rules = sendRulesFor(config, 'transactional', locateRecipient(phone, config.timezone));
        const allowed = nextAllowedMoment(new Date(from + minutes * 60_000), rules);
        for (const window of rules.windows) {
          const local = DateTime.fromJSDate(allowed, { zone: window.zone });
          const minute = local.hour * 60 + local.minute;
          expect(minute, `${phone} at ${allowed.toISOString()} in ${window.zone}`).toBeGreaterThanOrEqual(8 * 60);
          expect(minute).toBeLessThan(21 * 60);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("knows every geographic Canadian area code libphonenumber-js knows, and no code it doesn't place in Canada", () => {
    const ours = canadianAreaCodes();
    for (const code of ours) expect(parsePhoneNumberFromString(`+1${code}2345678`)?.country, code).toBe('CA');
    const nonGeographic = new Set(['600', '622', '633']);
    const theirs = Array.from({ length: 800 }, (_, index) => String(200 + index)).filter(
      (code) => !nonGeographic.has(code) && parsePhoneNumberFromString(`+1${code}2345678`)?.country === 'CA',
    );
    expect([...ours].sort()).toEqual(theirs);
  });
});
