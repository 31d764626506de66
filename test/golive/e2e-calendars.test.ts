/**
 * Issue 20: the whole call once per calendar provider. One real `switchboard start` process per database (demo mode,
 * every vendor emulated, the test clock) serves the demo offices of each provider — Smart Tax Nation in Zoho
 * Calendar, Riverside Physio in Google Calendar, Harbor Law Group in Microsoft 365 (with HubSpot CRM) — and a caller
 * of each books, calls back to move the appointment, calls again to cancel it, and another caller meets the
 * calendar down, all through signed Retell requests. Assertions are on what the caller hears and receives and on
 * the office's calendar as the vendor's emulator holds it. (The full go-live day, Zoho only, is e2e.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALENDAR_DOWN_BODY } from '../../src/sandbox/zoho/index.js';
import { BACKENDS } from '../support/databases.js';
import { CallDriver, SMART_TAX_NATION, startE2eServer, type Answer, type E2eOffice, type E2eServer } from './e2e-support.js';
import { DAY_START, twilioMessages, type TwilioMessage } from './e2e-scenarios.js';

/** One event as the provider holds it, in the few words this suite compares. */
interface VendorEvent {
  id: string;
  startUtc: string;
  title: string;
  description: string;
  /** Google's `extendedProperties.private` booking id; Graph's is not listed by the emulator's dump. */
  bookingProperty?: string;
}

interface ProviderCase {
  provider: 'zoho' | 'google' | 'microsoft';
  office: E2eOffice;
  appointmentType: string;
  caller: string;
  otherCaller: string;
  events(server: E2eServer): Promise<VendorEvent[]>;
  /** Makes the provider's calendar API answer 5xx until cleared. */
  fault: { match: string; status: number; body: unknown };
}

const utc = (iso: string) => new Date(iso).toISOString();

const CASES: ProviderCase[] = [
  {
    provider: 'zoho',
    office: SMART_TAX_NATION,
    appointmentType: 'individual-return',
    caller: '+12125550311',
    otherCaller: '+12125550312',
    async events(server) {
      const { events } = await server.emulator('zoho', '/__sandbox/zoho/events');
      return (events as any[]).map((event) => ({
        id: event.uid ?? event.id,
        startUtc: utc(event.start),
        title: event.title,
        description: event.description ?? '',
      }));
    },
    fault: { match: '/api/v1/', status: 500, body: CALENDAR_DOWN_BODY },
  },
  {
    provider: 'google',
    office: { slug: 'riverside-physio', agentId: 'agent_riverside_demo_0001', number: '+13125550160' },
    appointmentType: 'initial-assessment',
    caller: '+13125550321',
    otherCaller: '+13125550322',
    async events(server) {
      const { events } = await server.emulator('google', '/__sandbox/google/events');
      return (events as any[])
        .filter((event) => event.status !== 'cancelled')
        .map((event) => ({
          id: event.id,
          startUtc: utc(event.start.dateTime),
          title: event.summary,
          description: event.description ?? '',
          bookingProperty: event.extendedProperties?.private?.switchboardBookingId,
        }));
    },
    fault: { match: '/calendar/v3/', status: 503, body: { error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] } } },
  },
  {
    provider: 'microsoft',
    office: { slug: 'harbor-law', agentId: 'agent_harbor_demo_0001', number: '+12135550170' },
    appointmentType: 'consultation',
    caller: '+12135550331',
    otherCaller: '+12135550332',
    async events(server) {
      const { events } = await server.emulator('microsoft', '/__sandbox/microsoft/events');
      return (events as any[]).map((event) => ({
        id: event.id,
        startUtc: utc(`${event.start.dateTime}Z`),
        title: event.subject,
        description: event.body?.content ?? '',
      }));
    },
    fault: { match: '/v1.0/', status: 503, body: { error: { code: 'ServiceUnavailable', message: 'Service Unavailable' } } },
  },
];

interface ProviderRecord {
  booked: Answer;
  eventsAfterBooking: VendorEvent[];
  moved: Answer;
  eventsAfterMove: VendorEvent[];
  cancelled: Answer;
  eventsAfterCancel: VendorEvent[];
  /** Texts to the caller after booking, after the move and after the cancellation. */
  texts: [TwilioMessage[], TwilioMessage[], TwilioMessage[]];
  appointment: Answer;
  down: Answer;
}

function firstSlot(answer: Answer): string {
  const start = answer.body?.slots?.[0]?.start;
  if (typeof start !== 'string') throw new Error(`no slot offered: ${answer.text}`);
  return start;
}

/** The outbox runs what is due; texts are paced one a second per sender, so let a few seconds pass. */
async function settle(server: E2eServer): Promise<void> {
  await server.settle();
  for (let second = 0; second < 3; second += 1) {
    await server.clock.advance(1_000);
    await server.settle();
  }
}

async function call(server: E2eServer, testCase: ProviderCase, from: string, steps: (driver: CallDriver) => Promise<Answer>): Promise<Answer> {
  await server.clock.advance(20 * 60_000);
  const driver = new CallDriver(server, from, new Date(await server.clock.now()), testCase.office);
  const inbound = await driver.inbound();
  if (inbound.status !== 200) throw new Error(`call_inbound for ${testCase.office.slug} answered ${inbound.status}: ${inbound.text}`);
  await driver.started();
  const answer = await steps(driver);
  await driver.end(60_000, { call_summary: 'Scheduling call.', user_sentiment: 'Neutral', call_successful: true, in_voicemail: false });
  await settle(server);
  return answer;
}

async function playProvider(server: E2eServer, testCase: ProviderCase): Promise<ProviderRecord> {
  const { appointmentType } = testCase;
  const booked = await call(server, testCase, testCase.caller, async (driver) => {
    await driver.say('user', 'I would like to book an appointment on Wednesday.');
    await driver.fn('save_caller_details', { name: 'Avery Stone', email: `avery.${testCase.provider}@example.com` });
    const availability = await driver.fn('check_calendar_availability', { date: '2026-03-04', appointment_type: appointmentType });
    return driver.fn('book_appointment', { start: firstSlot(availability), appointment_type: appointmentType, name: 'Avery Stone' });
  });
  const eventsAfterBooking = await testCase.events(server);
  const textsAfterBooking = await twilioMessages(server, testCase.caller);
  const moved = await call(server, testCase, testCase.caller, async (driver) => {
    await driver.say('user', 'Can I move it to Thursday?');
    const availability = await driver.fn('check_calendar_availability', { date: '2026-03-05', appointment_type: appointmentType });
    return driver.fn('reschedule_appointment', { new_start: firstSlot(availability) });
  });
  const eventsAfterMove = await testCase.events(server);
  const textsAfterMove = await twilioMessages(server, testCase.caller);
  const cancelled = await call(server, testCase, testCase.caller, async (driver) => {
    await driver.say('user', 'I need to cancel my appointment.');
    return driver.fn('cancel_appointment', { reason: 'schedule conflict' });
  });
  const eventsAfterCancel = await testCase.events(server);
  const texts: ProviderRecord['texts'] = [textsAfterBooking, textsAfterMove, await twilioMessages(server, testCase.caller)];
  const appointment = await server.dashboard('GET', `/v1/api/appointments?client=${testCase.office.slug}&date=2026-03-02&days=7`);

  await server.emulator(testCase.provider, '/__sandbox/faults', { method: 'POST', body: { type: 'fail', ...testCase.fault } });
  let down: Answer;
  try {
    down = await call(server, testCase, testCase.otherCaller, async (driver) => {
      await driver.say('user', 'Is Friday open?');
      return driver.fn('check_calendar_availability', { date: '2026-03-06', appointment_type: appointmentType });
    });
  } finally {
    await server.emulator(testCase.provider, '/__sandbox/faults', { method: 'DELETE' });
  }
  return { booked, eventsAfterBooking, moved, eventsAfterMove, cancelled, eventsAfterCancel, texts, appointment, down };
}

const marked = (events: VendorEvent[], bookingId: string) => events.filter((event) => event.description.includes(`Switchboard-Booking: ${bookingId}`));

describe.each(BACKENDS)('a whole call per calendar provider through a real server process on %s', (kind) => {
  let server: E2eServer;
  const records = new Map<string, ProviderRecord>();

  beforeAll(async () => {
    server = await startE2eServer(kind, DAY_START, 'warn');
    for (const testCase of CASES) records.set(testCase.provider, await playProvider(server, testCase));
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(CASES.map((testCase) => [testCase.provider, testCase] as const))('%s', (_provider, testCase) => {
    it('a caller books: exactly one event carrying the booking marker, at the offered slot, and a confirmation text', () => {
      const record = records.get(testCase.provider)!;
      expect(record.booked.body).toMatchObject({ ok: true, booking_id: expect.any(String) });
      const bookingId = record.booked.body.booking_id as string;
      const ours = marked(record.eventsAfterBooking, bookingId);
      expect(ours).toHaveLength(1);
      expect(ours[0]!.startUtc).toBe(utc(record.booked.body.start));
      expect(ours[0]!.title).toContain('Avery Stone');
      if (testCase.provider === 'google') expect(ours[0]!.bookingProperty).toBe(bookingId);
      expect(record.texts[0].map((text) => text.body)).toEqual([expect.stringContaining('Avery')]);
    });

    it('the caller moves it: the same event now starts at the new slot, and a text says so', () => {
      const record = records.get(testCase.provider)!;
      const bookingId = record.booked.body.booking_id as string;
      expect(record.moved.body).toMatchObject({ ok: true });
      expect(record.moved.body.start.slice(0, 10)).toBe('2026-03-05');
      const before = marked(record.eventsAfterBooking, bookingId);
      const after = marked(record.eventsAfterMove, bookingId);
      expect(after.map((event) => [event.id, event.startUtc])).toEqual([[before[0]!.id, utc(record.moved.body.start)]]);
      expect(record.texts[1]).toHaveLength(2);
      expect(record.texts[1].at(-1)?.body).toMatch(/moved|is now/);
    });

    it('the caller cancels: the event is gone from the calendar, a cancellation text goes out, the dashboard shows it cancelled', () => {
      const record = records.get(testCase.provider)!;
      const bookingId = record.booked.body.booking_id as string;
      expect(record.cancelled.body).toMatchObject({ ok: true });
      expect(marked(record.eventsAfterCancel, bookingId)).toEqual([]);
      expect(record.texts[2]).toHaveLength(3);
      expect(record.texts[2].at(-1)?.body).toContain('cancelled');
      const days = record.appointment.body.days as Array<{ appointments: Array<{ status: string }> }>;
      expect(days.flatMap((day) => day.appointments).map((appointment) => appointment.status)).toContain('cancelled');
    });

    it('the calendar down during a call: the agent hears the spoken fallback and a callback is queued', () => {
      const record = records.get(testCase.provider)!;
      expect(record.down.status).toBe(200);
      expect(record.down.body).toMatchObject({ ok: false, fallback: true, callback_task_id: expect.any(String) });
      expect(record.down.body.message).toContain("I couldn't reach the calendar");
    });
  });
});
