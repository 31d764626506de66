import { describe, expect, it } from 'vitest';
import { graphDateTime, ianaZoneOf, instantOf, windowsZoneOf } from './time-zones.js';

describe('Graph time zones', () => {
  it('maps IANA zones to the Windows names Graph accepts, Phoenix to US Mountain (no DST)', () => {
    expect(windowsZoneOf('America/New_York')).toBe('Eastern Standard Time');
    expect(windowsZoneOf('America/Detroit')).toBe('Eastern Standard Time');
    expect(windowsZoneOf('America/Phoenix')).toBe('US Mountain Standard Time');
    expect(windowsZoneOf('America/Denver')).toBe('Mountain Standard Time');
    expect(windowsZoneOf('UTC')).toBe('UTC');
  });

  it('reads Windows names, IANA names and UTC back as IANA zones', () => {
    expect(ianaZoneOf('Eastern Standard Time')).toBe('America/New_York');
    expect(ianaZoneOf('US Mountain Standard Time')).toBe('America/Phoenix');
    expect(ianaZoneOf('America/Chicago')).toBe('America/Chicago');
    expect(ianaZoneOf('UTC')).toBe('UTC');
    expect(ianaZoneOf('Nowhere Standard Time')).toBeUndefined();
  });

  it('reads Graph date-times with seven fractional digits in any of those zones', () => {
    expect(instantOf({ dateTime: '2026-03-09T09:00:00.0000000', timeZone: 'Eastern Standard Time' })).toBe(Date.parse('2026-03-09T13:00:00Z'));
    expect(instantOf({ dateTime: '2026-03-09T09:00:00.0000000', timeZone: 'US Mountain Standard Time' })).toBe(Date.parse('2026-03-09T16:00:00Z'));
    expect(instantOf({ dateTime: '2026-07-01T09:00:00.0000000', timeZone: 'US Mountain Standard Time' })).toBe(Date.parse('2026-07-01T16:00:00Z'));
    expect(instantOf({ dateTime: '2026-03-09T13:00:00.0000000', timeZone: 'UTC' })).toBe(Date.parse('2026-03-09T13:00:00Z'));
    expect(instantOf({ dateTime: '2026-03-09T13:00:00', timeZone: 'Nowhere Standard Time' })).toBeUndefined();
  });

  it('writes wall time under the Windows name, and the repeated fall-back hour in UTC', () => {
    expect(graphDateTime(Date.parse('2026-03-09T13:00:00Z'), 'America/New_York')).toEqual({
      dateTime: '2026-03-09T09:00:00',
      timeZone: 'Eastern Standard Time',
    });
    expect(graphDateTime(Date.parse('2026-11-01T06:30:00Z'), 'America/New_York')).toEqual({ dateTime: '2026-11-01T06:30:00', timeZone: 'UTC' });
    expect(graphDateTime(Date.parse('2026-11-01T05:30:00Z'), 'America/New_York')).toEqual({ dateTime: '2026-11-01T05:30:00', timeZone: 'UTC' });
    expect(graphDateTime(Date.parse('2026-11-01T12:00:00Z'), 'America/Phoenix')).toEqual({
      dateTime: '2026-11-01T05:00:00',
      timeZone: 'US Mountain Standard Time',
    });
  });
});
