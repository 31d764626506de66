/**
 * What every CalendarPort adapter must do, run against each adapter's emulator (Zoho, Google, Microsoft): busy
 * times over windows longer than 31 days and across the US clock changes, create with the booking marker, a
 * retried create that finds the first event, move, delete (already gone succeeds), find by marker, the calendar
 * list, one refresh and one retry after a 401, and 429/5xx classified as retryable VendorErrors.
 *
 * A case an adapter is known to fail is named in `knownGaps`: it runs as `it.fails`, so the gap stays written
 * down and visible, and the suite goes red the day the adapter is fixed (then drop the gap).
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingIdIn, bookingMarker, hasBookingMarker, type CalendarPort, type NewCalendarEvent } from '../../src/booking/calendar-port.js';
import { VendorError } from '../../src/core/errors.js';

export interface VendorEventView {
  id: string;
  startMs: number;
  endMs: number;
  description: string;
}

export interface CalendarContractHarness {
  port: CalendarPort;
  clientId: string;
  /** The office's zone (the calendar is in it too). */
  zone: string;
  /** The booking calendar's id as `listCalendars` names it. */
  calendarId: string;
  /** An event someone typed into the calendar directly (ISO instants with offsets). */
  addForeignBusy(startIso: string, endIso: string): void | Promise<void>;
  /** Live events the vendor holds in the booking calendar. */
  vendorEvents(): VendorEventView[] | Promise<VendorEventView[]>;
  /** The next calendar API call answers as the vendor does for: an expired token, throttling, an outage. */
  failNext(kind: 'unauthorized' | 'rate_limited' | 'server_error'): void;
  /** Token-endpoint refreshes so far. */
  refreshCount(): number;
  close(): Promise<void>;
}

export type ContractCase =
  | 'busy over 31-day windows'
  | 'busy across DST'
  | 'create with marker'
  | 'create at an ambiguous fall-back time'
  | 'idempotent re-create'
  | 'move'
  | 'delete'
  | 'find by marker'
  | 'calendar list'
  | 'refresh once on 401'
  | 'error classification';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

export function describeCalendarPortContract(
  name: string,
  setup: () => Promise<CalendarContractHarness>,
  options: { knownGaps?: Partial<Record<ContractCase, string>> } = {},
): void {
  describe(`CalendarPort contract: ${name}`, () => {
    let harness: CalendarContractHarness;
    beforeAll(async () => {
      harness = await setup();
    }, 120_000);
    afterAll(async () => harness?.close());

    const local = (iso: string) => DateTime.fromISO(iso, { zone: harness.zone });
    let sequence = 0;
    const aBookingId = () => `bk_contract${name.replace(/[^A-Za-z0-9]/g, '')}${(sequence += 1)}`;
    const anEvent = (startIso: string, bookingId: string, minutes = 60): NewCalendarEvent => {
      const startMs = local(startIso).toMillis();
      return {
        title: 'Individual tax return: Dana Lee',
        description: `Booked by phone.\n${bookingMarker(bookingId)}`,
        timezone: harness.zone,
        startMs,
        endMs: startMs + minutes * 60_000,
        location: '350 Fifth Avenue',
      };
    };
    const overlaps = (busy: { startMs: number; endMs: number }[], startMs: number, endMs: number) =>
      busy.some((block) => block.startMs < endMs && block.endMs > startMs);

    const contractCase = (title: ContractCase, body: () => Promise<void>) => {
      const gap = options.knownGaps?.[title];
      if (gap) it.fails(`${title} (known gap: ${gap})`, body);
      else it(title, body);
    };

    contractCase('busy over 31-day windows', async () => {
      // Three foreign events: day 2, day 33 (second 31-day window) and day 44; the window is 45 days long.
      await harness.addForeignBusy('2026-05-03T10:00:00-04:00', '2026-05-03T11:00:00-04:00');
      await harness.addForeignBusy('2026-06-03T10:00:00-04:00', '2026-06-03T11:30:00-04:00');
      await harness.addForeignBusy('2026-06-14T15:00:00-04:00', '2026-06-14T16:00:00-04:00');
      const startMs = Date.parse('2026-05-01T04:00:00Z');
      const view = await harness.port.view(harness.clientId, startMs, startMs + 45 * DAY);
      for (const [from, to] of [
        ['2026-05-03T14:00:00Z', '2026-05-03T15:00:00Z'],
        ['2026-06-03T14:00:00Z', '2026-06-03T15:30:00Z'],
        ['2026-06-14T19:00:00Z', '2026-06-14T20:00:00Z'],
      ] as const) {
        expect(overlaps(view.busy, Date.parse(from), Date.parse(to)), `busy ${from}`).toBe(true);
      }
      expect(overlaps(view.busy, Date.parse('2026-05-20T14:00:00Z'), Date.parse('2026-05-20T15:00:00Z'))).toBe(false);
    });

    contractCase('busy across DST', async () => {
      // Saturday before and Monday after the spring-forward Sunday, 9:00 local each: 14:00Z and then 13:00Z.
      await harness.addForeignBusy('2026-03-07T09:00:00-05:00', '2026-03-07T10:00:00-05:00');
      await harness.addForeignBusy('2026-03-09T09:00:00-04:00', '2026-03-09T10:00:00-04:00');
      const view = await harness.port.view(harness.clientId, Date.parse('2026-03-06T00:00:00Z'), Date.parse('2026-03-11T00:00:00Z'));
      expect(overlaps(view.busy, Date.parse('2026-03-07T14:00:00Z'), Date.parse('2026-03-07T15:00:00Z'))).toBe(true);
      expect(overlaps(view.busy, Date.parse('2026-03-09T13:00:00Z'), Date.parse('2026-03-09T14:00:00Z'))).toBe(true);
      expect(overlaps(view.busy, Date.parse('2026-03-09T14:00:00Z'), Date.parse('2026-03-09T15:00:00Z'))).toBe(false);
    });

    contractCase('create with marker', async () => {
      const bookingId = aBookingId();
      // The Monday after spring-forward: 9:00 EDT is 13:00Z.
      const input = anEvent('2026-03-09T09:00:00', bookingId);
      expect(new Date(input.startMs).toISOString()).toBe('2026-03-09T13:00:00.000Z');
      const created = await harness.port.create(harness.clientId, input);
      expect(created).toMatchObject({ startMs: input.startMs, endMs: input.endMs, title: input.title });
      expect(hasBookingMarker(created.description, bookingId)).toBe(true);
      const stored = (await harness.vendorEvents()).find((event) => event.id === created.id);
      expect(stored).toMatchObject({ startMs: input.startMs, endMs: input.endMs });
      const read = await harness.port.get(harness.clientId, created.id);
      expect(read).toMatchObject({ id: created.id, startMs: input.startMs, endMs: input.endMs });
      const view = await harness.port.view(harness.clientId, input.startMs - HOUR, input.endMs + HOUR);
      expect(overlaps(view.busy, input.startMs, input.endMs)).toBe(true);
      expect(view.events.map((event) => event.id)).toContain(created.id);
    });

    contractCase('create at an ambiguous fall-back time', async () => {
      // 1:30 AM happens twice on 2026-11-01: 05:30Z (EDT) and 06:30Z (EST). Each must stay the instant asked for.
      for (const iso of ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']) {
        const startMs = Date.parse(iso);
        const input = { ...anEvent('2026-11-01T01:30:00', aBookingId(), 30), startMs, endMs: startMs + 30 * 60_000 };
        const created = await harness.port.create(harness.clientId, input);
        expect(new Date(created.startMs).toISOString(), 'as created').toBe(iso);
        const read = await harness.port.get(harness.clientId, created.id);
        expect(read && new Date(read.startMs).toISOString(), 'as read back').toBe(iso);
      }
    });

    contractCase('idempotent re-create', async () => {
      const bookingId = aBookingId();
      const input = anEvent('2026-03-10T11:00:00', bookingId);
      const first = await harness.port.create(harness.clientId, input);
      // The same create again, as after a lost answer: it must find the first event, not make a second.
      const second = await harness.port.create(harness.clientId, input);
      expect(second.id).toBe(first.id);
      const ours = (await harness.vendorEvents()).filter((event) => bookingIdIn(event.description) === bookingId);
      expect(ours).toHaveLength(1);
    });

    contractCase('move', async () => {
      const bookingId = aBookingId();
      const created = await harness.port.create(harness.clientId, anEvent('2026-03-11T10:00:00', bookingId));
      // Moved across nothing special, then read back: same id, new times, marker kept.
      const target = anEvent('2026-03-12T14:30:00', bookingId, 45);
      const moved = await harness.port.update(harness.clientId, created.id, { ...target, description: created.description });
      expect(moved).toMatchObject({ id: created.id, startMs: target.startMs, endMs: target.endMs });
      const read = await harness.port.get(harness.clientId, created.id);
      expect(read).toMatchObject({ startMs: target.startMs, endMs: target.endMs });
      expect(hasBookingMarker(read!.description, bookingId)).toBe(true);
      const oldWindow = await harness.port.view(harness.clientId, created.startMs, created.endMs);
      expect(oldWindow.events.map((event) => event.id)).not.toContain(created.id);
    });

    contractCase('delete', async () => {
      const created = await harness.port.create(harness.clientId, anEvent('2026-03-13T10:00:00', aBookingId()));
      await harness.port.remove(harness.clientId, created.id);
      expect(await harness.port.get(harness.clientId, created.id)).toBeUndefined();
      expect((await harness.vendorEvents()).map((event) => event.id)).not.toContain(created.id);
      // Already gone: still a success.
      await expect(harness.port.remove(harness.clientId, created.id)).resolves.toBeUndefined();
      const view = await harness.port.view(harness.clientId, created.startMs, created.endMs);
      expect(overlaps(view.busy, created.startMs, created.endMs)).toBe(false);
    });

    contractCase('find by marker', async () => {
      const bookingId = aBookingId();
      const created = await harness.port.create(harness.clientId, anEvent('2026-03-16T15:00:00', bookingId));
      await harness.port.create(harness.clientId, anEvent('2026-03-16T17:00:00', aBookingId()));
      // Through the window view (every adapter) ...
      const view = await harness.port.view(harness.clientId, Date.parse('2026-03-16T00:00:00Z'), Date.parse('2026-03-17T12:00:00Z'));
      expect(view.events.filter((event) => bookingIdIn(event.description) === bookingId).map((event) => event.id)).toEqual([created.id]);
      // ... and through the vendor's own index where the adapter has one.
      if (harness.port.findByBookingId) {
        expect((await harness.port.findByBookingId(harness.clientId, bookingId))?.id).toBe(created.id);
        expect(await harness.port.findByBookingId(harness.clientId, 'bk_nosuchbooking')).toBeUndefined();
      }
    });

    contractCase('calendar list', async () => {
      const calendars = await harness.port.listCalendars(harness.clientId);
      const booking = calendars.find((calendar) => calendar.id === harness.calendarId);
      expect(booking).toBeDefined();
      expect(typeof booking!.isDefault).toBe('boolean');
      expect(booking!.name.length).toBeGreaterThan(0);
      expect(calendars.filter((calendar) => calendar.isDefault).length).toBeLessThanOrEqual(1);
    });

    contractCase('refresh once on 401', async () => {
      const before = harness.refreshCount();
      harness.failNext('unauthorized');
      await harness.port.view(harness.clientId, Date.parse('2026-04-01T00:00:00Z'), Date.parse('2026-04-02T00:00:00Z'));
      expect(harness.refreshCount()).toBe(before + 1);
      // The new token is kept: the next call needs no refresh.
      await harness.port.listCalendars(harness.clientId);
      expect(harness.refreshCount()).toBe(before + 1);
    });

    contractCase('error classification', async () => {
      const window = [Date.parse('2026-04-03T00:00:00Z'), Date.parse('2026-04-04T00:00:00Z')] as const;
      harness.failNext('rate_limited');
      const throttled = await harness.port.view(harness.clientId, ...window).catch((error: unknown) => error);
      expect(throttled).toBeInstanceOf(VendorError);
      expect(throttled).toMatchObject({ retryable: true, ambiguous: false });
      expect([403, 429]).toContain((throttled as VendorError).status);
      harness.failNext('server_error');
      const down = await harness.port.listCalendars(harness.clientId).catch((error: unknown) => error);
      expect(down).toBeInstanceOf(VendorError);
      expect(down).toMatchObject({ retryable: true });
      expect((down as VendorError).status).toBeGreaterThanOrEqual(500);
      // A missing event is a value, not an error; moving it is a permanent failure.
      expect(await harness.port.get(harness.clientId, 'sbnosuchevent0000')).toBeUndefined();
      const gone = await harness.port
        .update(harness.clientId, 'sbnosuchevent0000', anEvent('2026-04-03T10:00:00', aBookingId()))
        .catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(VendorError);
      expect(gone).toMatchObject({ retryable: false });
    });
  });
}
