/**
 * The calendar contract (and Graph's Windows zone names) again with the server's own zone set to Asia/Tokyo (UTC+9, no DST), for every adapter: an
 * event's instant must never depend on where the server runs. Node reads TZ when it converts, so setting it
 * before the cases run is enough (vitest runs each file in its own process).
 */
import { beforeAll, expect, it } from 'vitest';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { googleHarness } from './google-harness.js';
import { microsoftHarness } from './microsoft-harness.js';
import { defineGraphZoneCases } from './microsoft-zones.cases.js';
import { zohoHarness, zohoKnownGaps } from './zoho-harness.js';

process.env.TZ = 'Asia/Tokyo';

beforeAll(() => {
  process.env.TZ = 'Asia/Tokyo';
});

it('runs with the server clock in Asia/Tokyo', () => {
  expect(new Date('2026-03-08T12:00:00Z').getTimezoneOffset()).toBe(-540);
});

describeCalendarPortContract('Google Calendar, server in Tokyo', googleHarness);
describeCalendarPortContract('Zoho Calendar, server in Tokyo', zohoHarness, { knownGaps: zohoKnownGaps });
describeCalendarPortContract('Microsoft 365, server in Tokyo', () => microsoftHarness());
defineGraphZoneCases();
