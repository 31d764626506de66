/**
 * Slot rules across the 2026 US clock changes, shared by the normal run and the run in a server zone that is
 * not the office's (TZ=Asia/Tokyo), so the server's own zone can never leak into a slot.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { readLocalTime, spokenTime, isoInZone } from '../../src/booking/local-time.js';
import { freeSlots, type SlotRules } from '../../src/booking/slots.js';
import { aClientConfig } from '../fixtures/config/a-client-config.js';

const SPRING = '2026-03-08';
const FALL = '2026-11-01';
const DST_ZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles'] as const;
const FIXED_ZONES = ['America/Phoenix', 'Pacific/Honolulu'] as const;

const allDay = [{ open: '00:00', close: '24:00' }];

function roundTheClock(zone: string): SlotRules {
  return {
    zone,
    businessHours: { monday: allDay, tuesday: allDay, wednesday: allDay, thursday: allDay, friday: allDay, saturday: allDay, sunday: allDay },
    closures: [],
    specialHours: {},
    minimumNoticeMinutes: 0,
    horizonDays: 365,
    slotStepMinutes: 30,
  };
}

function slotsOn(zone: string, date: string) {
  return freeSlots(roundTheClock(zone), {
    nowMs: Date.parse('2026-01-01T00:00:00Z'),
    fromDate: date,
    toDate: date,
    durationMinutes: 30,
    bufferMinutes: 0,
    busy: [],
  });
}

const localClock = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat('HH:mm');

export function defineDstSuite(): void {
  describe.each(DST_ZONES)('on the clock changes in %s', (zone) => {
    it('spring-forward day has 23 hours of half-hour slots and none at 2 AM', () => {
      const slots = slotsOn(zone, SPRING);
      expect(slots).toHaveLength(46);
      expect(slots.map((slot) => localClock(slot.startMs, zone))).not.toContain('02:00');
      expect(slots.map((slot) => localClock(slot.startMs, zone))).not.toContain('02:30');
      for (let i = 1; i < slots.length; i++) expect(slots[i]!.startMs - slots[i - 1]!.startMs).toBe(30 * 60_000);
    });

    it('fall-back day has 25 hours of slots and offers 1:30 AM twice, each named by its offset', () => {
      const slots = slotsOn(zone, FALL);
      expect(slots).toHaveLength(50);
      const halfPastOne = slots.filter((slot) => localClock(slot.startMs, zone) === '01:30');
      expect(halfPastOne).toHaveLength(2);
      expect(halfPastOne[1]!.startMs - halfPastOne[0]!.startMs).toBe(60 * 60_000);
      const [first, second] = halfPastOne.map((slot) => spokenTime(slot.startMs, zone));
      expect(first).toMatch(/^Sunday, November 1 at 1:30 AM [A-Z]DT$/);
      expect(second).toMatch(/^Sunday, November 1 at 1:30 AM [A-Z]ST$/);
      expect(spokenTime(slots.find((slot) => localClock(slot.startMs, zone) === '09:00')!.startMs, zone)).toBe('Sunday, November 1 at 9:00 AM');
    });

    it('a caller asking for 2:30 AM on spring-forward day is told it does not exist', () => {
      const reading = readLocalTime(SPRING, '02:30', zone);
      expect(reading?.kind).toBe('nonexistent');
      if (reading?.kind === 'nonexistent') expect(localClock(reading.next, zone)).toBe('03:30');
    });

    it('a caller asking for 1:30 AM on fall-back day gets both real times', () => {
      const reading = readLocalTime(FALL, '01:30', zone);
      expect(reading?.kind).toBe('ambiguous');
      if (reading?.kind === 'ambiguous') {
        expect(reading.options[1] - reading.options[0]).toBe(60 * 60_000);
        expect(reading.options.map((ms) => localClock(ms, zone))).toEqual(['01:30', '01:30']);
      }
    });
  });

  describe.each(FIXED_ZONES)('in %s, which keeps one offset all year', (zone) => {
    it('both change days have the normal 48 slots and 2:30 AM and 1:30 AM are ordinary times', () => {
      expect(slotsOn(zone, SPRING)).toHaveLength(48);
      expect(slotsOn(zone, FALL)).toHaveLength(48);
      expect(readLocalTime(SPRING, '02:30', zone)?.kind).toBe('exact');
      expect(readLocalTime(FALL, '01:30', zone)?.kind).toBe('exact');
    });
  });

  it('a 9 AM opening stays 9 AM local on both sides of the change (New York)', () => {
    const config = aClientConfig({ timezone: 'America/New_York', booking: { minimumNoticeMinutes: 0 } });
    const rules: SlotRules = { ...roundTheClock('America/New_York'), businessHours: config.businessHours };
    const firstOf = (date: string) =>
      freeSlots(rules, { nowMs: Date.parse('2026-01-01T00:00:00Z'), fromDate: date, toDate: date, durationMinutes: 45, bufferMinutes: 15, busy: [] })[0]!;
    expect(isoInZone(firstOf('2026-03-06').startMs, 'America/New_York')).toBe('2026-03-06T08:00:00-05:00');
    expect(isoInZone(firstOf('2026-03-09').startMs, 'America/New_York')).toBe('2026-03-09T08:00:00-04:00');
    expect(new Date(firstOf('2026-03-09').startMs).toISOString()).toBe('2026-03-09T12:00:00.000Z');
    expect(new Date(firstOf('2026-11-02').startMs).toISOString()).toBe('2026-11-02T13:00:00.000Z');
  });
}
