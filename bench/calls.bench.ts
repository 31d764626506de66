/**
 * 200 simultaneous simulated calls over 30 free slots (issue 9). Every call does call_inbound → call_started →
 * check_calendar_availability → book_appointment → call_ended → call_analyzed, signed with retell-sdk exactly as
 * Retell signs. The office is open 07:00–22:00 on the day every caller asks for and callers want a 30-minute
 * consultation, so exactly 30 slots exist; each caller asks for a time near one of them (spread over the day),
 * books the first slot offered and, when it was taken, the first same-day alternative the answer offers (3 tries at
 * most; other days are declined), else ends the call without booking. The callers run in a child process (this file
 * with SWITCHBOARD_CALLS_DRIVER=1) so the latencies are the server's, not those of a client sharing its event loop;
 * webhooks answered 5xx are sent again (as Retell retries). Zoho, Twilio and SMTP run in another child process
 * (bench/support/vendor-process.ts), as they are remote in real life; the app runs in demo mode (Slack and the alert
 * mailbox stay on its own emulators) with sender pacing off and its outbox worker on, on a ManualClock frozen at
 * Monday 09:00 in New York.
 *
 * Afterwards, with the worker drained: zero lost events (every webhook answered 2xx is in `webhook_events` as
 * processed, every call row is complete), zero duplicate Zoho events (by booking id, and no event without a booked
 * appointment), zero double-booked slots (appointments or Zoho events that overlap), zero duplicate messages (per
 * recipient + text at the Twilio emulator, recipient + subject at the SMTP receiver, and none a `done` row does not
 * account for). Then `BENCH_CALLS_DAYS` days
 * (default 5) pass in 15-minute steps so the reminders and the nurture texts go out too, and messages are counted
 * again. Any non-zero count makes its row (and the wall-time row) `ok: false`.
 *
 * `BENCH_CALLS_BACKENDS=postgres` runs one backend (default `postgres,pglite`), `BENCH_CALLS` the number of calls.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { functionStepsChannel, type FunctionSteps } from '../src/core/step-times.js';
import { testEnv } from '../test/support/app.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from 'retell-sdk';
import { isoInZone } from '../src/booking/local-time.js';
import { freeSlots, slotRulesOf } from '../src/booking/slots.js';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import { ManualClock } from '../src/core/clock.js';
import type { DatabaseKind } from '../src/db/database.js';
import { silentLogger } from '../src/log/logger.js';
import { startSwitchboard, type Switchboard } from '../src/main.js';
import { createMessagingModule } from '../src/messaging/module.js';
import type { FeatureModule } from '../src/app-context.js';
import { createSmtpModule } from '../src/smtp/module.js';
import { createTwilioModule } from '../src/twilio/module.js';
import { featureModules } from '../src/modules.js';
import { importRefreshToken } from '../src/zoho/connection.js';
import { openTestDatabase } from '../test/support/databases.js';
import { startVendorProcess, type VendorProcess, type VendorReport } from './support/vendor-process.js';
import type { BenchResult } from './types.js';

const CLIENT = 'smart-tax-nation';
const AGENT = 'agent_stn_demo_0001';
const OFFICE_LINE = '+12125550142';
const CALENDAR = 'stn-appointments';
/** Monday, March 2, 2026, 09:00 in New York. */
const START = '2026-03-02T14:00:00Z';
/** Wednesday: the day every caller asks for, open 07:00–22:00 (special hours) = 30 half-hour slots. */
const DAY = '2026-03-04';
const TYPE = 'tax-consultation';
const SLOTS = 30;
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const BACKENDS = (process.env.BENCH_CALLS_BACKENDS ?? 'postgres,pglite').split(',') as DatabaseKind[];
const DAYS_AFTER = Number(process.env.BENCH_CALLS_DAYS ?? 5);
/** PostgreSQL connections in the app's pool (the app's default is 10). */
const POOL_SIZE = Number(process.env.BENCH_CALLS_POOL ?? 10);
const BOOK_TRIES = 3;
type WebhookEvent = 'call_started' | 'call_ended' | 'call_analyzed';

// ---------------------------------------------------------------------------------------------------------------
// The callers (child process)

interface DriverInput {
  baseUrl: string;
  startMs: number;
  calls: number;
  /** Local "HH:MM" times the callers ask for, one per slot. */
  preferences: string[];
  runId: string;
}

interface CallResult {
  callId: string;
  phone: string;
  email: string;
  booked?: { start: string; bookingId: string };
  bookTries: number;
  /** Latency of every function request (availability and each booking try), ms. */
  functionMs: number[];
  /** Webhook events our server answered 2xx. */
  accepted: string[];
  /** Requests that never got a 2xx (after retries for webhooks), as "step status". */
  problems: string[];
  /** Answers that were a spoken fallback (calendar deadline) or the router's budget answer. */
  fallbacks: number;
  otherDaysDeclined: number;
  /** Latency per function name, ms. */
  byFunction: Record<string, number[]>;
  /** Every function request in the order sent (to pair with the server's step record of it). */
  requests: Array<{ name: string; ms: number }>;
}

interface DriverOutput {
  wallMs: number;
  results: CallResult[];
}

async function post(baseUrl: string, path: string, payload: unknown): Promise<{ status: number; body: any; ms: number }> {
  const raw = JSON.stringify(payload);
  const signature = await sign(raw, DEMO_SECRETS.RETELL_API_KEY);
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}/v1/retell/${CLIENT}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-retell-signature': signature,
      },
      body: raw,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: response.status, body, ms: performance.now() - started };
  } catch (error) {
    return { status: 0, body: String(error), ms: performance.now() - started };
  }
}

async function oneCall(input: DriverInput, i: number): Promise<CallResult> {
  const callId = `call_bench_${input.runId}_${i}`;
  const phone = `+1212556${String(i).padStart(4, '0')}`;
  const name = `Bench Caller ${i}`;
  const email = `caller${i}@bench.example`;
  const result: CallResult = {
    callId,
    phone,
    email,
    bookTries: 0,
    functionMs: [],
    accepted: [],
    problems: [],
    fallbacks: 0,
    otherDaysDeclined: 0,
    byFunction: {},
    requests: [],
  };
  const base = {
    call_type: 'phone_call',
    call_id: callId,
    agent_id: AGENT,
    agent_version: 1,
    direction: 'inbound',
    from_number: phone,
    to_number: OFFICE_LINE,
    start_timestamp: input.startMs,
  };

  const webhook = async (event: WebhookEvent, call: Record<string, unknown>) => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const answer = await post(input.baseUrl, '/webhook', { event, call });
      if (answer.status >= 200 && answer.status < 300) {
        result.accepted.push(event);
        return;
      }
      if (answer.status !== 0 && answer.status < 500) {
        result.problems.push(`${event} ${answer.status}`);
        return;
      }
      if (attempt === 3) result.problems.push(`${event} ${answer.status}`);
    }
  };
  const fn = async (name: string, args: Record<string, unknown>) => {
    const answer = await post(input.baseUrl, `/functions/${name}`, {
      name,
      args,
      call: { ...base, call_status: 'ongoing' },
    });
    result.functionMs.push(answer.ms);
    (result.byFunction[name] ??= []).push(answer.ms);
    result.requests.push({ name, ms: answer.ms });
    if (answer.status !== 200) result.problems.push(`${name} ${answer.status}`);
    if (answer.body?.fallback || answer.body?.timed_out) result.fallbacks += 1;
    return answer.body ?? {};
  };

  const inbound = await post(input.baseUrl, '/inbound', {
    event: 'call_inbound',
    call_inbound: {
      agent_id: AGENT,
      agent_version: 1,
      from_number: phone,
      to_number: OFFICE_LINE,
      call_id: callId,
    },
  });
  if (inbound.status !== 200) result.problems.push(`call_inbound ${inbound.status}`);
  await webhook('call_started', { ...base, call_status: 'ongoing' });

  const availability = await fn('check_calendar_availability', {
    date: DAY,
    time: input.preferences[i % input.preferences.length],
    appointment_type: TYPE,
  });
  let offers: Array<{ start: string }> = (Array.isArray(availability.slots) ? availability.slots : []).filter((slot: { start: string }) =>
    slot.start.startsWith(DAY),
  );
  while (offers.length > 0 && result.bookTries < BOOK_TRIES) {
    result.bookTries += 1;
    const answer = await fn('book_appointment', {
      start: offers[0]!.start,
      appointment_type: TYPE,
      name,
      email,
    });
    if (answer.ok) {
      result.booked = { start: answer.start, bookingId: answer.booking_id };
      break;
    }
    // The caller wants Wednesday: alternatives on another day are declined.
    const alternatives: Array<{ start: string }> = Array.isArray(answer.alternatives) ? answer.alternatives : [];
    offers = alternatives.filter((slot) => slot.start.startsWith(DAY));
    if (offers.length < alternatives.length) result.otherDaysDeclined += alternatives.length - offers.length;
  }

  const durationMs = 120_000 + (i % 7) * 10_000;
  const ended = {
    ...base,
    call_status: 'ended',
    end_timestamp: input.startMs + durationMs,
    duration_ms: durationMs,
    transcript: `Agent: Thanks for calling Smart Tax Nation.\nUser: This is ${name}, I'd like a tax consultation on Wednesday.\nAgent: ${result.booked ? "You're booked." : 'Sorry, that day is full.'}`,
    transcript_object: [
      { role: 'agent', content: 'Thanks for calling Smart Tax Nation.' },
      {
        role: 'user',
        content: `This is ${name}, I'd like a tax consultation on Wednesday.`,
      },
    ],
    disconnection_reason: 'agent_hangup',
  };
  await webhook('call_ended', ended);
  await webhook('call_analyzed', {
    ...ended,
    call_analysis: {
      call_summary: result.booked ? `${name} booked a tax consultation.` : `${name} wanted a tax consultation on Wednesday; nothing was left.`,
      user_sentiment: result.booked ? 'Positive' : 'Neutral',
      call_successful: Boolean(result.booked),
      in_voicemail: false,
      custom_analysis_data: { intent: 'book_appointment', caller_name: name },
    },
  });
  return result;
}

async function drive(input: DriverInput): Promise<DriverOutput> {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: input.calls }, (_, i) => oneCall(input, i)));
  return { wallMs: performance.now() - started, results };
}

function runDriver(input: DriverInput): Promise<DriverOutput> {
  const here = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['bin/run-ts.js', here], {
    cwd: process.cwd(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      SWITCHBOARD_CALLS_DRIVER: '1',
      SWITCHBOARD_CALLS_INPUT: JSON.stringify(input),
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the call driver did not finish within 5 minutes'));
    }, 300_000);
    child.once('message', (output: DriverOutput) => {
      clearTimeout(timer);
      resolve(output);
      child.disconnect();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the call driver exited with ${code} before answering`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The server side and the checks (parent process)

function benchConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-calls-'));
  const config = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
  config.specialHours = {
    ...config.specialHours,
    [DAY]: [{ open: '07:00', close: '22:00' }],
  };
  writeFileSync(join(dir, 'smart-tax-nation.json'), JSON.stringify(config));
  return dir;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Drains until nothing is due or running (the worker loop runs too; both claim with SKIP LOCKED). */
async function settle(switchboard: Switchboard, clock: ManualClock): Promise<void> {
  const db = switchboard.context.db;
  for (let round = 0; round < 2_000; round++) {
    await switchboard.worker.drain();
    const busy = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', 'in', ['scheduled', 'failed']), eb('run_at', '<=', clock.now())])]))
      .executeTakeFirstOrThrow();
    if (Number(busy.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the outbox did not settle');
}

function tally(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

const extra = (counts: Map<string, number>) => [...counts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);

/** Texts and e-mails at the vendors: customers' in the vendor process, alert e-mails at the in-process receiver. */
function messageCounts(report: VendorReport, switchboard: Switchboard) {
  const alertEmails = switchboard.context.sandbox!.smtp.messages;
  return {
    texts: report.texts.length,
    emails: report.emails.length,
    alertEmails: alertEmails.length,
    duplicates:
      extra(tally(report.texts.map((message) => `${message.to}|${message.body}`))) +
      extra(tally(report.emails.map((message) => `${message.to.join(',')}|${message.subject}`))),
  };
}

async function benchBackend(kind: DatabaseKind): Promise<BenchResult[]> {
  const base = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')) as {
    timezone: string;
    zoho: { calendarOwnerEmail?: string };
  };
  const vendors = await startVendorProcess({
    uid: CALENDAR,
    timezone: base.timezone,
    ownerEmail: base.zoho.calendarOwnerEmail,
  });
  const database = await openTestDatabase(kind, { poolSize: POOL_SIZE }).catch(async (error: unknown) => {
    await vendors.stop();
    throw error;
  });
  const clock = new ManualClock(START);
  const replaced: Record<string, FeatureModule> = {
    messaging: createMessagingModule({ rateLimit: false }),
    twilio: createTwilioModule({ emulatorUrl: vendors.twilioUrl }),
    smtp: createSmtpModule({ emulatorUrl: vendors.smtpUrl }),
  };
  const modules = featureModules.map((module) => replaced[module.name] ?? module);
  let switchboard: Switchboard | undefined;
  try {
    switchboard = await startSwitchboard({
      env: {
        ...testEnv,
        CONFIG_DIR: benchConfigDir(),
      },
      logger: silentLogger(),
      database,
      clock,
      worker: true,
      modules,
    });
    return await measure(kind, switchboard, clock, vendors);
  } finally {
    await switchboard?.close();
    await database.dispose();
    await vendors.stop();
  }
}

async function measure(kind: DatabaseKind, switchboard: Switchboard, clock: ManualClock, vendors: VendorProcess): Promise<BenchResult[]> {
  // Calendar and CRM go to the vendor process's Zoho (the demo sandbox's own Zoho stays idle).
  await importRefreshToken(switchboard.context, {
    clientId: CLIENT,
    dataCenter: 'us',
    refreshToken: vendors.refreshToken,
    accountsServer: vendors.zohoUrl,
  });
  const db = switchboard.context.db;
  const config = switchboard.context.clients.get(CLIENT)!.config;
  const type = config.appointmentTypes.find((candidate) => candidate.id === TYPE)!;
  const slots = freeSlots(slotRulesOf(config), {
    nowMs: clock.now().getTime(),
    fromDate: DAY,
    toDate: DAY,
    durationMinutes: type.durationMinutes,
    bufferMinutes: type.bufferMinutes ?? 0,
    busy: [],
  });
  if (slots.length !== SLOTS) throw new Error(`expected exactly ${SLOTS} free slots on ${DAY}, the configuration gives ${slots.length}`);
  const preferences = slots.map((slot) => isoInZone(slot.startMs, config.timezone).slice(11, 16));
  await settle(switchboard, clock);

  const cpuBefore = process.cpuUsage();
  // Where each function request spent its time (src/core/step-times.ts), and how late the event loop ran.
  const stepRecords: FunctionSteps[] = [];
  const onSteps = (message: unknown) => stepRecords.push(message as FunctionSteps);
  functionStepsChannel.subscribe(onSteps);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const output = await runDriver({
    baseUrl: switchboard.url!,
    startMs: clock.now().getTime(),
    calls: CALLS,
    preferences,
    runId: randomBytes(3).toString('hex'),
  }).finally(() => {
    loopDelay.disable();
    functionStepsChannel.unsubscribe(onSteps);
  });
  const settleStarted = performance.now();
  await settle(switchboard, clock);
  const settleMs = performance.now() - settleStarted;
  const cpu = process.cpuUsage(cpuBefore);
  const results = output.results;
  const report = await vendors.report();

  // Lost events: every webhook answered 2xx is stored and processed; every call row is complete.
  const events = await db.selectFrom('webhook_events').select(['idempotency_key', 'event_type', 'status']).where('client_id', '=', CLIENT).execute();
  const eventsOf = new Map<string, Array<{ event_type: string | null; status: string }>>();
  const callIds = new Set(results.map((result) => result.callId));
  for (const row of events) {
    // Key: client:event:call_id
    const callId = row.idempotency_key.split(':').slice(2).join(':');
    if (!callIds.has(callId)) continue;
    eventsOf.set(callId, [...(eventsOf.get(callId) ?? []), row]);
  }
  let accepted = 0;
  let lostEvents = 0;
  for (const result of results) {
    for (const event of result.accepted) {
      accepted += 1;
      const stored = (eventsOf.get(result.callId) ?? []).filter((row) => row.event_type === event);
      if (stored.length !== 1 || stored[0]!.status !== 'processed') lostEvents += 1;
    }
  }
  const calls = await db
    .selectFrom('calls')
    .selectAll()
    .where(
      'id',
      'in',
      results.map((result) => result.callId),
    )
    .execute();
  const callOf = new Map(calls.map((call) => [call.id, call]));
  let incompleteCalls = 0;
  // A complete row whose outcome is not what the caller heard (booked, or the fallback): not a lost event but a
  // booking decided after the caller's answer, counted on its own row below.
  let outcomeNotAsHeard = 0;
  for (const result of results) {
    const call = callOf.get(result.callId);
    const complete =
      call !== undefined && call.status === 'analyzed' && call.started_at !== null && call.ended_at !== null && call.summary !== null && call.outcome !== null;
    if (!complete) incompleteCalls += 1;
    else if ((call.outcome === 'booked') !== Boolean(result.booked)) outcomeNotAsHeard += 1;
  }
  const refused = results.reduce((sum, result) => sum + result.problems.length, 0);

  // Zoho events: one per booked appointment, none without one.
  const appointments = await db.selectFrom('appointments').selectAll().where('client_id', '=', CLIENT).where('status', '=', 'booked').execute();
  const zohoEvents = report.events;
  const markerOf = (description: string | undefined) => /Switchboard-Booking: (\S+)/.exec(description ?? '')?.[1];
  const byMarker = tally(zohoEvents.map((event) => markerOf(event.description) ?? `unmarked:${event.uid}`));
  const bookedIds = new Set(appointments.map((row) => row.booking_id));
  const orphanEvents = [...byMarker.keys()].filter((marker) => !bookedIds.has(marker)).length;
  const missingEvents = appointments.filter((row) => !byMarker.has(row.booking_id) || row.calendar_event_id === null).length;
  // Also every create Zoho accepted: an event created twice and deleted once would not show in the calendar.
  const duplicateZoho = Math.max(extra(byMarker), extra(tally(report.eventCreates))) + orphanEvents;

  // Double-booked slots: overlapping booked appointments, or overlapping Zoho events of different bookings.
  const sorted = [...appointments].sort((a, b) => new Date(a.start_at).getTime() - new Date(b.start_at).getTime());
  let doubleBooked = 0;
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (new Date(sorted[j]!.start_at).getTime() < new Date(sorted[i]!.block_end_at).getTime()) doubleBooked += 1;
    }
  }
  const eventsSorted = [...zohoEvents].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  for (let i = 0; i < eventsSorted.length; i++) {
    for (let j = i + 1; j < eventsSorted.length; j++) {
      const overlap = Date.parse(eventsSorted[j]!.start) < Date.parse(eventsSorted[i]!.end);
      if (overlap && markerOf(eventsSorted[j]!.description) !== markerOf(eventsSorted[i]!.description)) doubleBooked += 1;
    }
  }
  const booked = results.filter((result) => result.booked).length;
  const bookedStarts = new Set(results.filter((result) => result.booked).map((result) => result.booked!.start));

  // Messages right after the calls (confirmations), then after the days pass (reminders, nurture).
  const right = messageCounts(report, switchboard);
  const wellConfirmed = results
    .filter((result) => result.booked)
    .every(
      (result) =>
        report.texts.filter((message) => message.to === result.phone).length === 1 &&
        report.emails.filter((message) => message.to.includes(result.email)).length === 1,
    );
  const daysStarted = performance.now();
  for (let step = 0; step < (DAYS_AFTER * 24 * 60) / 15; step++) {
    clock.advance(15 * 60_000);
    await settle(switchboard, clock);
  }
  const daysMs = performance.now() - daysStarted;
  const final = await vendors.report();
  const later = messageCounts(final, switchboard);
  const sentRows = await db
    .selectFrom('outbox')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('kind', 'in', ['sms', 'email', 'alert_email'])
    .where('status', '=', 'done')
    .groupBy('kind')
    .execute();
  const doneOf = (kindName: string) => Number(sentRows.find((row) => row.kind === kindName)?.n ?? 0);
  const messageStates = await db
    .selectFrom('outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('kind', 'in', ['sms', 'email'])
    .groupBy('status')
    .orderBy('status')
    .execute();
  // A text or e-mail at a vendor that no `done` row accounts for is a duplicate too.
  const unaccounted =
    Math.max(0, later.texts - doneOf('sms')) + Math.max(0, later.emails - doneOf('email')) + Math.max(0, later.alertEmails - doneOf('alert_email'));
  const duplicateMessagesCount = later.duplicates + unaccounted;
  const duplicateLeads = extra(tally(final.leads.map((lead) => lead.phone)));
  const duplicateNotes = extra(tally(final.notes.map((note) => /\/calls\/([^\s)]+)/.exec(note.content)?.[1] ?? note.content)));

  const functionMs = results.flatMap((result) => result.functionMs).sort((a, b) => a - b);
  const latencyOf = (name: string) => results.flatMap((result) => result.byFunction[name] ?? []).sort((a, b) => a - b);
  const availabilityMs = latencyOf('check_calendar_availability');
  const bookMs = latencyOf('book_appointment');
  const fallbacks = results.reduce((sum, result) => sum + result.fallbacks, 0);
  const declined = results.reduce((sum, result) => sum + result.otherDaysDeclined, 0);
  // Bookings the caller was not told about: the function answered a fallback, the booking finished later.
  const toldIds = new Set(results.filter((result) => result.booked).map((result) => result.booked!.bookingId));
  const lateBookings = appointments.filter((row) => !toldIds.has(row.booking_id)).length;
  const alerts = await db.selectFrom('errors').select(['fingerprint', 'count']).execute();
  // Server-side means from the app's own histograms: the router (handler + answer record) and the whole HTTP request.
  const meanMs = async (
    metric: { get(): Promise<{ values: Array<{ metricName?: string; value: number; labels: Record<string, unknown> }> }> },
    match: (labels: Record<string, unknown>) => boolean,
  ) => {
    const values = (await metric.get()).values.filter((value) => match(value.labels));
    const sum = values.filter((value) => value.metricName?.endsWith('_sum')).reduce((total, value) => total + value.value, 0);
    const count = values.filter((value) => value.metricName?.endsWith('_count')).reduce((total, value) => total + value.value, 0);
    return count > 0 ? Math.round((sum / count) * 1000) : 0;
  };
  const metrics = switchboard.context.metrics;
  const routerMean = await meanMs(
    metrics.functionDuration,
    (labels) => labels.function === 'check_calendar_availability' || labels.function === 'book_appointment',
  );
  const httpMean = await meanMs(metrics.httpDuration, (labels) => String(labels.route ?? '').includes('/functions/'));
  const clientMean = Math.round(functionMs.reduce((total, ms) => total + ms, 0) / Math.max(1, functionMs.length));
  const breakdown = stepBreakdown(results, stepRecords);
  const lagMs = (ns: number) => Math.round(ns / 1e6);
  const zeroCounts = {
    lostEvents: lostEvents + incompleteCalls,
    outcomeNotAsHeard,
    duplicateZoho: duplicateZoho + missingEvents,
    doubleBooked,
    duplicateMessages: duplicateMessagesCount,
  };
  const allZero = Object.values(zeroCounts).every((count) => count === 0) && refused === 0;
  return [
    {
      name: `${CALLS} simultaneous calls over ${SLOTS} slots (wall time)`,
      backend: kind,
      value: Number((output.wallMs / 1000).toFixed(2)),
      unit: 's',
      ok: allZero,
      notes:
        `${booked}/${SLOTS} slots booked by callers who were told so (${bookedStarts.size} distinct)` +
        `${lateBookings ? `, ${lateBookings} more booked after the caller got a fallback` : ''}; ${refused} requests without a 2xx; ` +
        `outbox settled ${(settleMs / 1000).toFixed(1)} s later; app CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, vendors ${(report.cpuMs / 1000).toFixed(1)} s; ` +
        `alerts: ${alerts.map((row) => `${row.fingerprint} ×${row.count}`).join(', ') || 'none'}`,
    },
    {
      name: 'function latency p99 (availability + booking, all calls at once)',
      backend: kind,
      value: Math.round(percentile(functionMs, 99)),
      unit: 'ms',
      notes:
        `p50 ${Math.round(percentile(functionMs, 50))} ms, max ${Math.round(functionMs.at(-1) ?? 0)} ms over ${functionMs.length} requests; ` +
        `availability p50/p99 ${Math.round(percentile(availabilityMs, 50))}/${Math.round(percentile(availabilityMs, 99))} ms, ` +
        `booking p50/p99 ${Math.round(percentile(bookMs, 50))}/${Math.round(percentile(bookMs, 99))} ms (${bookMs.length} tries); ` +
        `${fallbacks} fallback answers; ${declined} other-day alternatives declined; ` +
        `mean ${clientMean} ms at the caller, ${httpMean} ms in our HTTP handler, ${routerMean} ms in the function router`,
    },
    {
      name: 'where a slow function answer waits (slowest 5 %, mean ms)',
      backend: kind,
      value: breakdown.slowMeanMs,
      unit: 'ms',
      notes:
        `${breakdown.text}; event loop delay during the calls p50/p99/max ${lagMs(loopDelay.percentile(50))}/${lagMs(loopDelay.percentile(99))}/${lagMs(loopDelay.max)} ms ` +
        `(the server, its database client and the outbox worker share this process; Zoho, Twilio and SMTP run in the vendor process: its CPU ${(report.cpuMs / 1000).toFixed(1)} s)`,
    },
    {
      name: 'lost events',
      backend: kind,
      value: zeroCounts.lostEvents,
      unit: 'events',
      target: '0',
      ok: zeroCounts.lostEvents === 0,
      notes: `${accepted} webhooks accepted, ${accepted - lostEvents} stored and processed; ${CALLS - incompleteCalls}/${CALLS} call rows complete; ${refused} requests without a 2xx`,
    },
    {
      name: 'calls whose outcome is not what the caller heard',
      backend: kind,
      value: zeroCounts.outcomeNotAsHeard,
      unit: 'calls',
      target: '0',
      ok: zeroCounts.outcomeNotAsHeard === 0,
      notes: `a call row "booked" for a caller who heard the fallback, or the reverse; ${lateBookings} booked appointment(s) whose booking id no caller was told; ${fallbacks} fallback answers`,
    },
    {
      name: 'duplicate Zoho events',
      backend: kind,
      value: zeroCounts.duplicateZoho,
      unit: 'events',
      target: '0',
      ok: zeroCounts.duplicateZoho === 0,
      notes: `${zohoEvents.length} events for ${appointments.length} booked appointments; ${orphanEvents} without a booking, ${missingEvents} bookings without an event; ${duplicateLeads} duplicate CRM leads of ${final.leads.length}, ${duplicateNotes} duplicate notes of ${final.notes.length}`,
    },
    {
      name: 'double-booked slots',
      backend: kind,
      value: zeroCounts.doubleBooked,
      unit: 'pairs',
      target: '0',
      ok: zeroCounts.doubleBooked === 0,
    },
    {
      name: 'duplicate messages',
      backend: kind,
      value: zeroCounts.duplicateMessages,
      unit: 'messages',
      target: '0',
      ok: zeroCounts.duplicateMessages === 0 && wellConfirmed,
      notes: `right after: ${right.texts} texts + ${right.emails} e-mails (${right.duplicates} dup.; each booker 1 text + 1 e-mail: ${wellConfirmed ? 'yes' : 'NO'}); after ${DAYS_AFTER} days: ${later.texts} texts + ${later.emails} e-mails, ${later.alertEmails} alert e-mails; message rows ${messageStates.map((row) => `${row.status} ${row.n}`).join(', ')} (${(daysMs / 1000).toFixed(1)} s)`,
    },
  ];
}

/**
 * Pairs each function request the callers timed with the server's step record of it (per call, in order) and
 * says where the slowest 5 % spent their time: before the function route (HTTP parsing, signature check, waiting for the
 * event loop), the route's phases (the caller's language, claim, handler, stored answer), the booking steps, and the database and calendar time inside them.
 */
function stepBreakdown(results: CallResult[], records: FunctionSteps[]): { slowMeanMs: number; text: string } {
  const byCall = new Map<string, FunctionSteps[]>();
  for (const record of records) byCall.set(record.callId, [...(byCall.get(record.callId) ?? []), record]);
  const paired: Array<{ name: string; ms: number; record: FunctionSteps }> = [];
  for (const result of results) {
    const mine = (byCall.get(result.callId) ?? []).sort((a, b) => a.startedAt - b.startedAt);
    result.requests.forEach((request, i) => {
      const record = mine[i];
      if (record && record.function === request.name) paired.push({ ...request, record });
    });
  }
  if (paired.length === 0) return { slowMeanMs: 0, text: 'no step records' };
  const sorted = [...paired].sort((a, b) => a.ms - b.ms);
  const slow = sorted.slice(Math.floor(sorted.length * 0.95));
  const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0);
  const describe = (group: typeof paired) => {
    const steps = new Map<string, number>();
    for (const item of group) for (const [step, entry] of Object.entries(item.record.steps)) steps.set(step, (steps.get(step) ?? 0) + entry.ms);
    const parts = [
      `caller ${Math.round(mean(group.map((item) => item.ms)))}`,
      `before the function route (HTTP, signature, event loop) ${Math.round(mean(group.map((item) => item.ms - item.record.totalMs)))}`,
      ...[...steps.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([step, total]) => `${step} ${Math.round(total / group.length)}`)
        .filter((part) => !part.endsWith(' 0')),
    ];
    const names = tally(group.map((item) => item.name));
    return `${[...names.entries()].map(([name, n]) => `${n} ${name === 'book_appointment' ? 'booking' : 'availability'}`).join(' + ')}: ${parts.join(', ')}`;
  };
  const byName = (name: string) => paired.filter((item) => item.name === name);
  return {
    slowMeanMs: Math.round(mean(slow.map((item) => item.ms))),
    text:
      `slowest ${slow.length} of ${paired.length} (≥ ${Math.round(slow[0]!.ms)} ms) — ${describe(slow)}; ` +
      `all bookings — ${describe(byName('book_appointment'))}; all availability — ${describe(byName('check_calendar_availability'))}`,
  };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of BACKENDS) results.push(...(await benchBackend(kind)));
  return results;
}

if (process.env.SWITCHBOARD_CALLS_DRIVER === '1') {
  const output = await drive(JSON.parse(process.env.SWITCHBOARD_CALLS_INPUT ?? '{}') as DriverInput);
  process.send?.(output);
  process.once('disconnect', () => process.exit(0));
}
