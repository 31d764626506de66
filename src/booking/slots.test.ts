import { describe, expect, it } from 'vitest';
import { aClientConfig } from '../../test/fixtures/config/a-client-config.js';
import { spokenTime } from './local-time.js';
import { freeSlots, pickSlots, slotRulesOf } from './slots.js';
import { readSpokenClock } from './spoken-clock.js';

// Desert Bookkeeping: America/Phoenix, Mon–Thu 08:00–17:00, Fri 08:00–12:00, closed 2026-12-24..26.
const config = aClientConfig({ specialHours: { '2026-02-07': [{ open: '10:00', close: '12:00' }] } });
const rules = { ...slotRulesOf(config), minimumNoticeMinutes: 120 };
const MONDAY_8AM_PHOENIX = Date.parse('2026-02-02T15:00:00Z');
const query = { nowMs: MONDAY_8AM_PHOENIX, durationMinutes: 45, bufferMinutes: 15, busy: [] };
const spoken = (slots: { startMs: number }[]) => slots.map((slot) => spokenTime(slot.startMs, 'America/Phoenix'));

describe('slot rules', () => {
  it('respects minimum notice: at 8 AM with two hours notice the first slot is 10 AM', () => {
    const slots = freeSlots(rules, { ...query, fromDate: '2026-02-02', toDate: '2026-02-02' });
    expect(spoken(slots)[0]).toBe('Monday, February 2 at 10:00 AM');
    expect(spoken(slots).at(-1)).toBe('Monday, February 2 at 4:00 PM');
  });

  it('keeps the buffer clear after busy time and lets special hours open a weekend day', () => {
    const busy = [{ startMs: Date.parse('2026-02-03T09:00:00-07:00'), endMs: Date.parse('2026-02-03T10:00:00-07:00') }];
    const tuesday = spoken(freeSlots(rules, { ...query, busy, fromDate: '2026-02-03', toDate: '2026-02-03' }));
    expect(tuesday).toContain('Tuesday, February 3 at 8:00 AM');
    expect(tuesday).not.toContain('Tuesday, February 3 at 8:30 AM');
    expect(tuesday).toContain('Tuesday, February 3 at 10:00 AM');
    expect(spoken(freeSlots(rules, { ...query, fromDate: '2026-02-07', toDate: '2026-02-08' }))).toEqual([
      'Saturday, February 7 at 10:00 AM',
      'Saturday, February 7 at 10:30 AM',
      'Saturday, February 7 at 11:00 AM',
    ]);
  });

  it('offers nothing on closed days or past the horizon', () => {
    expect(freeSlots({ ...rules, minimumNoticeMinutes: 0, horizonDays: 365 }, { ...query, fromDate: '2026-12-24', toDate: '2026-12-26' })).toEqual([]);
    expect(freeSlots(rules, { ...query, fromDate: '2026-06-01', toDate: '2026-06-01' })).toEqual([]);
  });

  it('picks slots near a preferred time, else spaced one appointment apart', () => {
    const slots = freeSlots(rules, { ...query, fromDate: '2026-02-03', toDate: '2026-02-03' });
    expect(spoken(pickSlots(slots, 3, { preferredMs: Date.parse('2026-02-03T14:10:00-07:00') }))).toEqual([
      'Tuesday, February 3 at 1:30 PM',
      'Tuesday, February 3 at 2:00 PM',
      'Tuesday, February 3 at 2:30 PM',
    ]);
    expect(spoken(pickSlots(slots, 3, { spacingMs: 45 * 60_000 }))).toEqual([
      'Tuesday, February 3 at 8:00 AM',
      'Tuesday, February 3 at 9:00 AM',
      'Tuesday, February 3 at 10:00 AM',
    ]);
  });

  it('reads times the way agents pass them on', () => {
    expect(readSpokenClock('2:30 PM')).toBe('14:30');
    expect(readSpokenClock('12 am')).toBe('00:00');
    expect(readSpokenClock('noon')).toBe('12:00');
    expect(readSpokenClock('09:15')).toBe('09:15');
    expect(readSpokenClock('25:00')).toBeUndefined();
  });
});
