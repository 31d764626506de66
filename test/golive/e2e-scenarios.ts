/**
 * The go-live day, played against a real server process on the test clock: each scenario acts as callers,
 * Twilio and staff would, and records what a person could observe (function answers, the emulators' state,
 * dashboard answers) at each checkpoint. `e2e.test.ts` asserts on the record; `pii-scan.test.ts` plays the
 * same day on the other database and scans everything it produced.
 */
import { simulateCall } from '../../src/sandbox/call-simulator.js';
import { CALENDAR_DOWN_BODY, INTERNAL_ERROR_BODY } from '../../src/sandbox/zoho/index.js';
import { CallDriver, CLIENT, SMS_SENDER, type Answer, type E2eServer } from './e2e-support.js';

/** Monday 2 March 2026, 10:00 in New York (EST, UTC−5 all week: DST starts on the 8th). */
export const DAY_START = '2026-03-02T15:00:00Z';

export const PEOPLE = {
  jordan: { phone: '+12125550101', name: 'Jordan Rivera', email: 'jordan.rivera@example.com' },
  casey: { phone: '+12125550103' },
  dana: { phone: '+12125550104' },
  riley: { phone: '+12125550105', name: 'Riley Chen' },
  morgan: { phone: '+12125550106' },
} as const;

/** Said during the booking call: transcripts, notes, logs and errors must never show it. */
export const SPOKEN_SSN = '123-45-6789';

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  date_created: string;
  direction: string;
}

export async function twilioMessages(server: E2eServer, to?: string): Promise<TwilioMessage[]> {
  const state = await server.emulator('twilio', '/__sandbox/twilio/messages');
  return (state.messages as TwilioMessage[]).filter((message) => message.direction !== 'inbound' && (!to || message.to === to));
}

/**
 * Moves the clock to `iso`, then lets `seconds` pass a second at a time: the sender is paced at one text per
 * second, so a burst due at one moment needs the clock to tick to leave.
 */
async function settleAt(server: E2eServer, iso: string, seconds = 10): Promise<void> {
  await server.clock.set(iso);
  await server.settle();
  for (let second = 0; second < seconds; second += 1) {
    await server.clock.advance(1_000);
    await server.settle();
  }
}

function firstSlot(answer: Answer): string {
  const start = answer.body?.slots?.[0]?.start;
  if (typeof start !== 'string') throw new Error(`no slot offered: ${answer.text}`);
  return start;
}

export interface BookingRecord {
  callId: string;
  inbound: Answer;
  availability: Answer;
  booking: Answer;
  events: any[];
  texts: TwilioMessage[];
  emails: any[];
  call: Answer;
  leads: any[];
  appointments: Answer;
}

export async function newCallerBooks(server: E2eServer): Promise<BookingRecord> {
  const { jordan } = PEOPLE;
  const call = new CallDriver(server, jordan.phone, new Date(await server.clock.now()));
  const inbound = await call.inbound();
  await call.started();
  await call.say('agent', 'Thanks for calling Smart Tax Nation. How can I help?');
  await call.say('user', `I'd like to book my tax return. My social is ${SPOKEN_SSN} if you need it.`);
  await call.fn('save_caller_details', { name: jordan.name, email: jordan.email });
  const availability = await call.fn('check_calendar_availability', { date: '2026-03-04', appointment_type: 'individual-return' });
  const booking = await call.fn('book_appointment', { start: firstSlot(availability), appointment_type: 'individual-return', name: jordan.name });
  await call.end(190_000, {
    call_summary: 'New caller Jordan Rivera booked an individual tax return.',
    user_sentiment: 'Positive',
    call_successful: true,
    in_voicemail: false,
    custom_analysis_data: { intent: 'book_appointment' },
  });
  await server.settle();
  return {
    callId: call.callId,
    inbound,
    availability,
    booking,
    events: (await server.emulator('zoho', '/__sandbox/zoho/events')).events,
    texts: await twilioMessages(server, jordan.phone),
    emails: (await server.emulator('smtpInbox', '/__sandbox/smtp/messages')).messages.filter((m: any) => m.to.includes(jordan.email)),
    call: await server.dashboard('GET', `/v1/api/calls/${call.callId}`),
    leads: (await server.dashboard('GET', '/v1/sandbox/zoho/leads')).body.leads,
    appointments: await server.dashboard('GET', `/v1/api/appointments?client=${CLIENT}&date=2026-03-02&days=7`),
  };
}

export interface RescheduleRecord {
  callId: string;
  inbound: Answer;
  reschedule: Answer;
  events: any[];
  texts: TwilioMessage[];
  appointmentMessages: any[];
}

export async function returningCallerReschedules(server: E2eServer, booked: BookingRecord): Promise<RescheduleRecord> {
  const { jordan } = PEOPLE;
  await server.clock.advance(30 * 60_000);
  const call = new CallDriver(server, jordan.phone, new Date(await server.clock.now()));
  const inbound = await call.inbound();
  await call.started();
  await call.say('user', 'I need to move my appointment to Thursday.');
  const availability = await call.fn('check_calendar_availability', { date: '2026-03-05', appointment_type: 'individual-return' });
  const reschedule = await call.fn('reschedule_appointment', { new_start: firstSlot(availability) });
  await call.end(95_000, { call_summary: 'Jordan moved the appointment to Thursday.', user_sentiment: 'Positive', call_successful: true, in_voicemail: false });
  await server.settle();
  const appointmentId = booked.booking.body?.appointment_id ?? booked.call.body?.appointments?.[0]?.id;
  const messages = await server.dashboard('GET', `/v1/api/messages?client=${CLIENT}&limit=200`);
  return {
    callId: call.callId,
    inbound,
    reschedule,
    events: (await server.emulator('zoho', '/__sandbox/zoho/events')).events,
    texts: await twilioMessages(server, jordan.phone),
    appointmentMessages: (messages.body.messages as any[]).filter((message) => message.appointmentId === appointmentId),
  };
}

export interface VoiceOptOutRecord {
  callId: string;
  problems: string[];
  call: Answer;
  messages: any[];
  customer: Answer;
}

export async function callerOptsOutByVoice(server: E2eServer): Promise<VoiceOptOutRecord> {
  await server.clock.advance(30 * 60_000);
  const result = await simulateCall({
    baseUrl: server.url,
    client: CLIENT,
    from: PEOPLE.dana.phone,
    scenario: 'caller-opts-out',
    startAt: new Date(await server.clock.now()),
  });
  for (const step of result.steps) server.answers.push(JSON.stringify(step.body));
  await server.settle();
  const call = await server.dashboard('GET', `/v1/api/calls/${result.callId}`);
  const customerId = call.body?.call?.customerId;
  const messages = await server.dashboard('GET', `/v1/api/messages?client=${CLIENT}&customer=${customerId}`);
  return {
    callId: result.callId,
    problems: result.problems,
    call,
    messages: messages.body.messages,
    customer: await server.dashboard('GET', `/v1/api/customers/${customerId}`),
  };
}

export interface CalendarDownRecord {
  callId: string;
  availability: Answer;
  call: Answer;
  errors: any[];
  slackTexts: string[];
}

export async function calendarDownDuringCall(server: E2eServer): Promise<CalendarDownRecord> {
  const { riley } = PEOPLE;
  await server.clock.advance(60 * 60_000);
  await server.emulator('zoho', '/__sandbox/faults', { method: 'POST', body: { type: 'fail', match: '/api/v1/', status: 500, body: CALENDAR_DOWN_BODY } });
  try {
    const call = new CallDriver(server, riley.phone, new Date(await server.clock.now()));
    await call.inbound();
    await call.started();
    await call.say('user', 'Can I come in Wednesday?');
    await call.fn('save_caller_details', { name: riley.name });
    const availability = await call.fn('check_calendar_availability', { date: '2026-03-04', appointment_type: 'individual-return' });
    await call.end(60_000, {
      call_summary: 'Caller wanted Wednesday; the calendar was unreachable.',
      user_sentiment: 'Neutral',
      call_successful: false,
      in_voicemail: false,
    });
    await server.settle();
    const slack = await server.emulator('slack', '/__sandbox/requests');
    return {
      callId: call.callId,
      availability,
      call: await server.dashboard('GET', `/v1/api/calls/${call.callId}`),
      errors: (await server.dashboard('GET', `/v1/api/errors?client=${CLIENT}&state=all`)).body.errors,
      slackTexts: (slack.requests as any[]).map((request) => JSON.stringify(request.body)),
    };
  } finally {
    await server.emulator('zoho', '/__sandbox/faults', { method: 'DELETE' });
  }
}

export interface CrmDownRecord {
  callId: string;
  deadLetter: any;
  errors: any[];
  leadsWhileDown: any[];
  retry: Answer;
  afterRetry: Answer;
  leadsAfter: any[];
}

export async function crmDownThenRetriedFromDashboard(server: E2eServer): Promise<CrmDownRecord> {
  await server.clock.advance(60 * 60_000);
  await server.emulator('zoho', '/__sandbox/faults', { method: 'POST', body: { type: 'fail', match: '/crm/v8/', status: 500, body: INTERNAL_ERROR_BODY } });
  let callId: string;
  try {
    const result = await simulateCall({
      baseUrl: server.url,
      client: CLIENT,
      from: PEOPLE.morgan.phone,
      scenario: 'returning-caller-question',
      startAt: new Date(await server.clock.now()),
    });
    callId = result.callId;
    await server.settle();
    // Three attempts a minute apart (the client's retry policy), then the dead-letter queue.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await server.clock.advance(61_000);
      await server.settle();
    }
  } finally {
    await server.emulator('zoho', '/__sandbox/faults', { method: 'DELETE' });
  }
  const deadLetters = (await server.dashboard('GET', `/v1/api/dead-letters?client=${CLIENT}&kind=crm_sync`)).body.items as any[];
  const deadLetter = deadLetters.find((item) => item.callId === callId);
  const errors = (await server.dashboard('GET', `/v1/api/errors?client=${CLIENT}&state=all`)).body.errors;
  const leadsWhileDown = (await server.dashboard('GET', '/v1/sandbox/zoho/leads')).body.leads;
  const retry = await server.dashboard('POST', `/v1/api/outbox/${deadLetter?.id}/retry`, {});
  await server.settle();
  return {
    callId,
    deadLetter,
    errors,
    leadsWhileDown,
    retry,
    afterRetry: await server.dashboard('GET', `/v1/api/outbox/${deadLetter?.id}`),
    leadsAfter: (await server.dashboard('GET', '/v1/sandbox/zoho/leads')).body.leads,
  };
}

export interface NurtureRecord {
  callId: string;
  /** Nurture texts to the caller seen at each checkpoint (label → bodies). */
  checkpoints: Record<string, TwilioMessage[]>;
  jordanTextsAtStop: TwilioMessage[];
  stopAnswer: any;
  jordanTextsAfter: TwilioMessage[];
  jordanMessagesAfter: any[];
  jordanEmailsAfter: any[];
}

/** Casey calls Monday 20:30 without booking; days pass; Jordan texts STOP on Wednesday. */
export async function nonBookerNurtureAndStop(server: E2eServer, booked: BookingRecord): Promise<NurtureRecord> {
  const { casey, jordan } = PEOPLE;
  await server.clock.set('2026-03-03T01:30:00Z');
  const result = await simulateCall({
    baseUrl: server.url,
    client: CLIENT,
    from: casey.phone,
    scenario: 'returning-caller-question',
    startAt: new Date(await server.clock.now()),
  });
  for (const step of result.steps) server.answers.push(JSON.stringify(step.body));
  await server.settle();
  const checkpoints: Record<string, TwilioMessage[]> = {};
  const look = async (label: string, iso: string) => {
    await settleAt(server, iso);
    checkpoints[label] = await twilioMessages(server, casey.phone);
  };
  await look('Tue 20:35 EST', '2026-03-04T01:35:00Z');
  await look('Wed 08:58 EST', '2026-03-04T13:58:00Z');
  await look('Wed 09:00 EST', '2026-03-04T14:00:00Z');

  await settleAt(server, '2026-03-04T15:00:00Z');
  const jordanTextsAtStop = await twilioMessages(server, jordan.phone);
  const stopAnswer = await server.emulator('twilio', '/__sandbox/twilio/inbound', {
    method: 'POST',
    body: { url: `${server.url}/v1/twilio/${CLIENT}/inbound`, from: jordan.phone, to: SMS_SENDER, body: 'STOP' },
  });
  server.answers.push(JSON.stringify(stopAnswer));
  await server.settle();
  // Thursday 08:30: the 1-hour reminders (08:00) for the 09:00 appointment were due.
  await settleAt(server, '2026-03-05T13:30:00Z');
  const jordanTextsAfter = await twilioMessages(server, jordan.phone);
  const appointmentId = booked.booking.body?.appointment_id ?? booked.call.body?.appointments?.[0]?.id;
  const messages = await server.dashboard('GET', `/v1/api/messages?client=${CLIENT}&limit=200`);
  const jordanEmailsAfter = (await server.emulator('smtpInbox', '/__sandbox/smtp/messages')).messages.filter((m: any) => m.to.includes(jordan.email));

  await look('Sat 09:58 EST', '2026-03-07T14:58:00Z');
  await look('Sat 10:00 EST', '2026-03-07T15:00:00Z');
  return {
    callId: result.callId,
    checkpoints,
    jordanTextsAtStop,
    stopAnswer,
    jordanTextsAfter,
    jordanMessagesAfter: (messages.body.messages as any[]).filter((message) => message.appointmentId === appointmentId),
    jordanEmailsAfter,
  };
}

export interface GoLiveDay {
  booking: BookingRecord;
  reschedule: RescheduleRecord;
  voiceOptOut: VoiceOptOutRecord;
  calendarDown: CalendarDownRecord;
  crmDown: CrmDownRecord;
  nurture: NurtureRecord;
  allErrors: any[];
}

export async function playGoLiveDay(server: E2eServer): Promise<GoLiveDay> {
  const booking = await newCallerBooks(server);
  const reschedule = await returningCallerReschedules(server, booking);
  const voiceOptOut = await callerOptsOutByVoice(server);
  const calendarDown = await calendarDownDuringCall(server);
  const crmDown = await crmDownThenRetriedFromDashboard(server);
  const nurture = await nonBookerNurtureAndStop(server, booking);
  const allErrors = (await server.dashboard('GET', '/v1/api/errors?state=all&limit=200')).body.errors;
  return { booking, reschedule, voiceOptOut, calendarDown, crmDown, nurture, allErrors };
}
