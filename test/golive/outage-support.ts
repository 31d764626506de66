/**
 * Builders for the vendor-outage drills: the whole app in demo mode on a test database with every vendor emulated
 * (worker off, a ManualClock), an admin signed in to the dashboard API, whole calls signed as Retell signs them,
 * a clock that walks through an outage in 15-second steps draining the outbox at each step, and counts of what
 * each emulator accepted.
 */
import { sign } from 'retell-sdk';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DatabaseKind } from '../../src/db/database.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { aUser, signIn, type Api } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';

export const CLIENT = 'smart-tax-nation';
export const AGENT = 'agent_stn_demo_0001';
export const OFFICE_LINE = '+12125550142';
export const OWNER = 'owner@smarttaxnation.example';
export const CALENDAR = 'stn-appointments';
export const SECOND = 1_000;
export const MINUTE = 60_000;
/** Monday, March 2, 2026, 10:00 in New York: inside the texting window, a weekday. */
export const START = '2026-03-02T15:00:00Z';
/** The day callers ask for (Wednesday). */
export const BOOKING_DAY = '2026-03-04';
/** How long every outage lasts, in simulated time. */
export const OUTAGE_MS = 10 * MINUTE;
/** The clock moves in steps this long; the outbox is drained after each. */
export const STEP_MS = 15 * SECOND;

export interface Drill {
  app: TestApp;
  api: Api;
  sandbox: Sandbox;
  clock: ManualClock;
}

export async function startDrill(kind: DatabaseKind): Promise<Drill> {
  const clock = new ManualClock(START);
  const app = await startTestApp(kind, { clock });
  // Whatever start-up queued (the reconcile chain) runs before the vendor goes down.
  await app.worker.drain();
  const api = await signIn(app, await aUser(app, 'admin'));
  return { app, api, sandbox: app.context.sandbox!, clock };
}

/**
 * Moves the clock `ms` forward in steps, draining the outbox before every step and (unless `drainAtEnd` is false)
 * once more at the end.
 */
export async function walk(drill: Drill, ms: number, options: { step?: number; drainAtEnd?: boolean } = {}): Promise<void> {
  const step = options.step ?? STEP_MS;
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    await drill.app.worker.drain();
    drill.clock.advance(Math.min(step, ms - elapsed));
  }
  if (options.drainAtEnd ?? true) await drill.app.worker.drain();
}

/**
 * The outage: `down()` at the current moment, then 10 simulated minutes in steps (the outbox drained at each),
 * with `during(minute)` called at the start of each whole minute (work arriving while the vendor is down), then
 * `up()` at exactly 10 minutes, before anything else runs.
 */
export async function outage(drill: Drill, down: () => void, up: () => void, during: (minute: number) => Promise<void>): Promise<void> {
  down();
  const began = drill.clock.now().getTime();
  for (let minute = 0; minute < OUTAGE_MS / MINUTE; minute += 1) {
    await during(minute);
    await walk(drill, MINUTE, { drainAtEnd: false });
  }
  if (drill.clock.now().getTime() - began !== OUTAGE_MS) throw new Error('the outage did not last exactly 10 minutes');
  up();
}

async function signedPost(drill: Drill, path: string, payload: unknown): Promise<{ status: number; body: any }> {
  const raw = JSON.stringify(payload);
  const response = await fetch(`${drill.app.url}/v1/retell/${CLIENT}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-retell-signature': await sign(raw, DEMO_SECRETS.RETELL_API_KEY),
    },
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export interface Caller {
  n: number;
  phone: string;
  name: string;
  email: string;
}

/** Caller number `n`: a New York mobile number, a name and an e-mail address of their own. */
export function caller(n: number): Caller {
  return {
    n,
    phone: `+1212555${String(2000 + n).padStart(4, '0')}`,
    name: `Caller ${String.fromCharCode(64 + n)} Rivera`,
    email: `caller${n}@example.com`,
  };
}

export interface PlacedCall {
  callId: string;
  statuses: number[];
  availability: any;
  booking?: any;
  cancel?: any;
}

let callSequence = 0;

/**
 * A whole call, signed as Retell signs it: call_inbound, call_started, then either an availability check and a
 * booking of the first slot offered (`wants: 'book'`) or a cancellation (`wants: 'cancel'`), then call_ended and
 * call_analyzed. The outbox is drained afterwards (the webhook only stores the events).
 */
export async function placeCall(drill: Drill, who: Caller, wants: 'book' | 'cancel' = 'book'): Promise<PlacedCall> {
  callSequence += 1;
  const callId = `call_outage_${Date.now().toString(36)}_${callSequence}`;
  const startedAt = drill.clock.now().getTime();
  const call = {
    call_type: 'phone_call',
    call_id: callId,
    agent_id: AGENT,
    agent_version: 1,
    direction: 'inbound',
    from_number: who.phone,
    to_number: OFFICE_LINE,
    start_timestamp: startedAt,
  };
  const statuses: number[] = [];
  const step = async (path: string, payload: unknown) => {
    const answer = await signedPost(drill, path, payload);
    statuses.push(answer.status);
    return answer.body;
  };
  await step('/inbound', {
    event: 'call_inbound',
    call_inbound: {
      agent_id: AGENT,
      from_number: who.phone,
      to_number: OFFICE_LINE,
      call_id: callId,
    },
  });
  await step('/webhook', {
    event: 'call_started',
    call: { ...call, call_status: 'ongoing' },
  });
  const fn = (name: string, args: Record<string, unknown>) =>
    step(`/functions/${name}`, {
      name,
      args,
      call: { ...call, call_status: 'ongoing' },
    });
  const placed: PlacedCall = { callId, statuses, availability: undefined };
  if (wants === 'book') {
    placed.availability = await fn('check_calendar_availability', {
      date: BOOKING_DAY,
      appointment_type: 'individual-return',
    });
    const start = placed.availability?.slots?.[0]?.start;
    if (start)
      placed.booking = await fn('book_appointment', {
        start,
        appointment_type: 'individual-return',
        name: who.name,
        email: who.email,
      });
  } else {
    placed.cancel = await fn('cancel_appointment', {});
  }
  const ended = {
    ...call,
    call_status: 'ended',
    end_timestamp: startedAt + 150_000,
    duration_ms: 150_000,
    transcript: `Agent: Thanks for calling Smart Tax Nation.\nUser: Hi, this is ${who.name}.`,
    disconnection_reason: 'agent_hangup',
  };
  await step('/webhook', { event: 'call_ended', call: ended });
  await step('/webhook', {
    event: 'call_analyzed',
    call: {
      ...ended,
      call_analysis: {
        call_summary: `${who.name} called to ${wants === 'book' ? 'book a tax return appointment' : 'cancel an appointment'}.`,
        user_sentiment: 'Positive',
        call_successful: true,
        in_voicemail: false,
        custom_analysis_data: {
          intent: wants === 'book' ? 'book_appointment' : 'cancel_appointment',
          caller_name: who.name,
        },
      },
    },
  });
  await drill.app.worker.drain();
  return placed;
}

// What the database holds

export async function outboxRows(drill: Drill, kinds: string[]) {
  return drill.app.context.db.selectFrom('outbox').selectAll().where('kind', 'in', kinds).orderBy('id').execute();
}

/** A row's history of outcomes, leaving out `rescheduled` (a text waiting for its sender's turn spends no attempt). */
export async function attemptsOf(drill: Drill, id: number) {
  const rows = await drill.app.context.db.selectFrom('outbox_attempts').select(['outcome']).where('outbox_id', '=', id).orderBy('id').execute();
  return rows.map((row) => row.outcome).filter((outcome) => outcome !== 'rescheduled');
}

export async function errorRows(drill: Drill) {
  return drill.app.context.db.selectFrom('errors').selectAll().orderBy('id').execute();
}

// What the emulators accepted

/** Texts the Twilio emulator accepted, as `to | body` → how many times. */
export function textsAccepted(drill: Drill): Map<string, number> {
  return tally(drill.sandbox.twilio.messages.filter((message) => message.direction === 'outbound-api').map((message) => `${message.to} | ${message.body}`));
}

/** E-mails the SMTP receiver accepted for customers (alerts to the office owner left out), as `to | subject` → count. */
export function customerEmailsAccepted(drill: Drill): Map<string, number> {
  return tally(drill.sandbox.smtp.messages.filter((message) => !message.to.includes(OWNER)).map((message) => `${message.to.join(',')} | ${message.subject}`));
}

/** Alert e-mails the office owner received. */
export function alertEmails(drill: Drill) {
  return drill.sandbox.smtp.messages.filter((message) => message.to.includes(OWNER));
}

export function slackAlerts(drill: Drill) {
  return drill.sandbox.slack.messages;
}

/** Zoho Calendar events created through the API (answered 2xx), as booking marker → how many. */
export function calendarEventsCreated(drill: Drill): Map<string, number> {
  const created = drill.sandbox.zoho.emulator
    .received(`/calendars/${CALENDAR}/events`, 'POST')
    .filter((request) => request.status !== undefined && request.status < 300)
    .map((request) => /Switchboard-Booking: (\S+)/.exec(String(request.query.eventdata ?? ''))?.[1] ?? 'unmarked');
  return tally(created);
}

/** Successful DELETEs of calendar events, as event uid → how many. */
export function calendarEventsDeleted(drill: Drill): Map<string, number> {
  const deleted = drill.sandbox.zoho.emulator
    .received(`/calendars/${CALENDAR}/events/`, 'DELETE')
    .filter((request) => request.status !== undefined && request.status < 300)
    .map((request) => decodeURIComponent(request.path.split('/events/')[1] ?? ''));
  return tally(deleted);
}

/** Leads in the Zoho CRM emulator, as phone → how many. */
export function leadsByPhone(drill: Drill): Map<string, number> {
  return tally(drill.sandbox.zoho.leads().map((lead) => String(lead.Phone)));
}

/** Notes in Zoho CRM that mention the call id. */
export function notesFor(drill: Drill, callId: string) {
  return drill.sandbox.zoho.notes().filter((note) => String(note.Note_Content).includes(callId));
}

export function tally(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Keys seen more than once. */
export function duplicates(counts: Map<string, number>): string[] {
  return [...counts].filter(([, count]) => count > 1).map(([key, count]) => `${key} ×${count}`);
}
