import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WEEKDAYS, clientConfigSchema } from '../config/client-schema.js';
import { readFileSync } from 'node:fs';
import { locateRecipient } from './recipient.js';
import { nextAllowedMoment, sendRulesFor } from './send-window.js';

const config = clientConfigSchema.parse(JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')));

describe('send window', () => {
  it('finds the recipient zone from the area code, else the office zone', () => {
    expect(locateRecipient('+18505550123', config.timezone)).toEqual({ state: 'FL', zone: 'America/Chicago', basis: 'area_code' });
    expect(locateRecipient('+13055550123', config.timezone)).toEqual({ state: 'FL', zone: 'America/New_York', basis: 'area_code' });
    expect(locateRecipient('+447700900123', config.timezone)).toEqual({ state: undefined, zone: 'America/New_York', basis: 'client_zone' });
  });

  it('narrows marketing to the Florida override (08:00-20:00) and carries its cap, but not transactional', () => {
    const florida = locateRecipient('+13055550123', config.timezone);
    expect(sendRulesFor(config, 'marketing', florida)).toMatchObject({ window: { start: '08:00', end: '20:00' }, maxMarketingPer24h: 3 });
    const transactional = sendRulesFor(config, 'transactional', florida);
    expect(transactional.window).toEqual({ start: '08:00', end: '21:00', zone: 'America/New_York' });
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
      fc.property(fc.integer({ min: from, max: to }), fc.array(fc.tuple(fc.constantFrom(...zones), fc.integer({ min: 0, max: 48 * 60 })), { minLength: 1, maxLength: 60 }), (base, calls) => {
        for (const [zone, minutes] of calls) {
          const atMs = Math.floor(base / 60_000) * 60_000 + minutes * 60_000;
          const rules = sendRulesFor(config, 'transactional', { state: undefined, zone, basis: 'client_zone' });
          // An office open around the clock restricts nothing, and takes the general path without the cache.
          const reference = {
            ...rules,
            officeHours: { zone, businessHours: Object.fromEntries(WEEKDAYS.map((day) => [day, allDay])) as typeof config.businessHours, closures: [], specialHours: {} },
          };
          // Twice: the second call is answered from the span the first one remembered.
          for (let repeat = 0; repeat < 2; repeat += 1) {
            expect(nextAllowedMoment(new Date(atMs), rules).toISOString()).toBe(nextAllowedMoment(new Date(atMs), reference).toISOString());
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
