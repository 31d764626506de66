/**
 * Issue 14, item 2: SSNs and other sensitive numbers a caller gives are removed at intake, before anything stores
 * them or sends them to a vendor. Whole calls are played through the real HTTP routes (Retell signed with retell-sdk,
 * the inbound text signed by the Twilio emulator) carrying SSNs written (201-11-4001), spaced (301 21 5001) and
 * spoken as words, an ITIN and a card number in every free-text field a call or a caller fills: transcript, summary,
 * custom analysis (intent, nested values), dynamic variables, metadata, function arguments (notes, reason, name,
 * preferred time, a clock time), and an inbound text. Then everything is scanned: every text and JSON column of
 * every table (found through information_schema), every dashboard API answer (lists and details), every request
 * the Zoho, Twilio and Slack emulators received and every e-mail the SMTP receiver got, and the log. Zero hits.
 */
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { CALENDAR_DOWN_BODY } from '../../src/sandbox/zoho/index.js';
import { aUser, signIn, type Api } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { AGENT, CLIENT, OFFICE_LINE, aCallId, functionPath, inboundPath, signedPost, webhookPath } from '../retell/support.js';

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

interface Planted {
  label: string;
  /** A sentence holding every form, as a caller (or the agent's notes) would put it. */
  text: string;
  /** Every way the numbers could show up if they leaked. */
  needles: string[];
}

/** Nine digits written with dashes, with spaces and run together. */
function nineDigitForms(digits: string): string[] {
  const [a, b, c] = [digits.slice(0, 3), digits.slice(3, 5), digits.slice(5)];
  return [`${a}-${b}-${c}`, `${a} ${b} ${c}`, digits];
}

/** The numbers planted in one run, and the scanner that looks for them. */
function plantedNumbers() {
  const planted: Planted[] = [];

  /** A sentence carrying an SSN written, one spaced, one spoken as words (with or without "dash"), an ITIN and a card number, all unique to `label`. */
  function plant(label: string): string {
    const n = planted.length + 1;
    const written = `${200 + n}${10 + n}${4000 + n}`;
    const spaced = `${300 + n}${20 + n}${5000 + n}`;
    const spoken = `${400 + n}${30 + n}${6000 + n}`;
    const itin = `9${10 + n}7${n % 10}${7000 + n}`;
    const card = ['4532', `${1000 + n}`, `${2000 + n}`, `${3000 + n}`];
    const words = (digits: string) => [...digits].map((digit) => DIGIT_WORDS[Number(digit)]).join(' ');
    // Half the callers read the groups out with "dash" between them.
    const [a, b, c] = nineDigitForms(spoken)[0]!.split('-').map(words);
    const spokenWords = n % 2 === 0 ? `${a} dash ${b} dash ${c}` : `${a} ${b} ${c}`;
    const text =
      `SSN ${nineDigitForms(written)[0]}, wife ${nineDigitForms(spaced)[1]}, said ${spokenWords}. ` +
      `ITIN ${nineDigitForms(itin)[0]}, card ${card.join(' ')}.`;
    planted.push({
      label,
      text,
      needles: [
        ...nineDigitForms(written),
        ...nineDigitForms(spaced),
        ...nineDigitForms(spoken),
        spokenWords,
        words(spoken),
        ...nineDigitForms(itin),
        card.join(' '),
        card.join('-'),
        card.join(''),
      ],
    });
    return text;
  }

  /** A short plant for fields with a small limit (a clock time: 20 characters). */
  function plantShort(label: string): string {
    const n = planted.length + 1;
    const digits = `${200 + n}${10 + n}${4000 + n}`;
    planted.push({ label, text: nineDigitForms(digits)[0]!, needles: nineDigitForms(digits) });
    return nineDigitForms(digits)[0]!;
  }

  /** Which planted numbers `haystack` contains, e.g. `["call summary: 204-14-4004"]`. */
  function find(haystack: string): string[] {
    const lower = haystack.toLowerCase().replace(/\s+/g, ' ');
    return planted.flatMap((entry) => entry.needles.filter((needle) => lower.includes(needle)).map((needle) => `${entry.label}: ${needle}`));
  }

  /** Planted numbers, and any SSN- or ITIN-shaped number at all. */
  function leaks(haystack: string): string[] {
    return [...find(haystack), ...(haystack.match(SSN_SHAPE) ?? []).map((shape) => `SSN-shaped: ${shape}`)];
  }

  return { planted, plant, plantShort, find, leaks };
}

/** A link with a nine-digit run: ids, numbers and URLs Retell sets are kept verbatim. */
const RECORDING_URL = 'https://recordings.example.invalid/2026/03/02/987654321/call.wav';

/** Any SSN- or ITIN-shaped number (dashes or spaces), planted or not. */
const SSN_SHAPE = /(?<![\w-])\d{3}[- ]\d{2}[- ]\d{4}(?![\w-])/g;

/** URLs and form bodies as the vendor reads them: percent-decoded, `+` as a space. */
function decodedUrl(url: string): string {
  try {
    return decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    return url;
  }
}

describe.each(BACKENDS)('sensitive numbers a caller gives never reach storage, vendors, the dashboard or the log (%s)', (kind) => {
  const { planted, plant, plantShort, find, leaks } = plantedNumbers();
  let app: TestApp;
  let api: Api;
  const logLines: string[] = [];
  /** Everything we sent in, for the positive control. */
  const sent: string[] = [];
  const answers: Array<{ path: string; text: string }> = [];
  let tables: Array<{ table: string; columns: string[]; text: string; rows: number }> = [];
  const callIds: string[] = [];
  let bookingAnswer: any;
  let timeAnswer: any;
  let callbackAnswer: any;

  const post = async (path: string, body: unknown) => {
    sent.push(JSON.stringify(body));
    const response = await signedPost(app.url!, path, body);
    const text = await response.text();
    expect(response.status, `${path}: ${text}`).toBe(200);
    return JSON.parse(text);
  };

  const dashboard = async (path: string) => {
    const answer = await api.request('GET', path);
    expect(answer.status, path).toBe(200);
    answers.push({ path, text: JSON.stringify(answer.body) });
    return answer.body;
  };

  /** Runs due outbox rows, moving the clock a second at a time so texts paced one per second leave too. */
  const settle = async () => {
    for (let second = 0; second < 10; second += 1) {
      await app.worker.drain();
      app.clock.advance(1_000);
    }
  };

  /** A call as Retell would play it, with caller text planted in every free-text place. */
  async function playCall(from: string, functions: (call: Record<string, unknown>) => Promise<void>) {
    const callId = aCallId();
    callIds.push(callId);
    const startAt = app.clock.now().getTime();
    const base = {
      call_type: 'phone_call',
      call_id: callId,
      agent_id: AGENT,
      agent_version: 1,
      direction: 'inbound',
      from_number: from,
      to_number: OFFICE_LINE,
      start_timestamp: startAt,
    };
    await post(inboundPath(), { event: 'call_inbound', call_inbound: { agent_id: AGENT, from_number: from, to_number: OFFICE_LINE, call_id: callId } });
    await post(webhookPath(), { event: 'call_started', call: { ...base, call_status: 'ongoing' } });
    const said = plant(`transcript ${callId}`);
    const transcript = `Agent: Smart Tax Nation, how can I help?\nUser: ${said}`;
    const transcriptObject = [
      { role: 'agent', content: 'Smart Tax Nation, how can I help?', words: [] },
      { role: 'user', content: said, words: said.split(' ').map((word, index) => ({ word, start: index, end: index + 0.5 })) },
    ];
    await post(webhookPath(), { event: 'transcript_updated', call: { ...base, call_status: 'ongoing', transcript, transcript_object: transcriptObject } });
    await functions({ ...base, call_status: 'ongoing' });
    const ended = {
      ...base,
      call_status: 'ended',
      end_timestamp: startAt + 180_000,
      duration_ms: 180_000,
      disconnection_reason: 'agent_hangup',
      recording_url: RECORDING_URL,
      transcript,
      transcript_object: transcriptObject,
      retell_llm_dynamic_variables: { caller_note: plant('dynamic variable') },
      collected_dynamic_variables: { caller_reference: plant('collected dynamic variable') },
      metadata: { intake_note: plant('metadata') },
    };
    await post(webhookPath(), { event: 'call_ended', call: ended });
    await post(webhookPath(), {
      event: 'call_analyzed',
      call: {
        ...ended,
        call_analysis: {
          call_summary: plant('call summary'),
          user_sentiment: 'Positive',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: {
            intent: plant('custom analysis intent'),
            caller_request: plant('custom analysis'),
            details: { documents: [plant('custom analysis, nested in a list')] },
          },
        },
      },
    });
    await settle();
    return callId;
  }

  const fn = (name: string, args: Record<string, unknown>, call: Record<string, unknown>) => post(functionPath(name), { name, args, call });

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    app = await startTestApp(kind, { logger: createLogger({ level: 'debug', destination }) });
    api = await signIn(app, await aUser(app, 'admin'));

    // 1. A new caller books, with notes, then asks for a callback; the availability check gets a time it cannot read.
    await playCall('+12125550161', async (call) => {
      await fn('save_caller_details', { name: 'Jordan Rivera', email: 'jordan.rivera@example.com', notes: plant('caller notes') }, call);
      timeAnswer = await fn(
        'check_calendar_availability',
        { date: '2026-03-04', appointment_type: 'individual-return', time: plantShort('availability time') },
        call,
      );
      const availability = await fn('check_calendar_availability', { date: '2026-03-04', appointment_type: 'individual-return' }, call);
      bookingAnswer = await fn(
        'book_appointment',
        {
          start: availability.slots[0].start,
          appointment_type: 'individual-return',
          name: 'Jordan Rivera',
          email: 'jordan.rivera@example.com',
          notes: plant('appointment notes'),
        },
        call,
      );
      callbackAnswer = await fn(
        'request_callback',
        { reason: plant('callback reason'), name: plant('callback name'), callback_number: '(212) 555-0162', preferred_time: plant('callback preferred time') },
        call,
      );
    });

    // 2. Another caller books and cancels with a reason.
    await playCall('+12125550163', async (call) => {
      const availability = await fn('check_calendar_availability', { date: '2026-03-05', appointment_type: 'tax-consultation' }, call);
      await fn(
        'book_appointment',
        { start: availability.slots[0].start, appointment_type: 'tax-consultation', name: 'Casey Morgan', notes: plant('second appointment notes') },
        call,
      );
      await fn('cancel_appointment', { reason: plant('cancellation reason') }, call);
    });

    // 3. The calendar is down during a booking: the spoken fallback, a callback task and an alert to Slack and e-mail.
    app.context.sandbox!.zoho.emulator.faults.add({ type: 'fail', match: '/api/v1/', status: 500, body: CALENDAR_DOWN_BODY });
    try {
      await playCall('+12125550164', async (call) => {
        await fn(
          'book_appointment',
          { start: '2026-03-04T14:00:00-05:00', appointment_type: 'individual-return', name: 'Riley Chen', notes: plant('notes while the calendar is down') },
          call,
        );
      });
    } finally {
      app.context.sandbox!.zoho.emulator.faults.clear();
    }

    // 4. The first caller texts the office.
    const body = plant('inbound text');
    sent.push(body);
    await app.context.sandbox!.twilio.sendInbound({ url: `${app.url}/v1/twilio/${CLIENT}/inbound`, from: '+12125550161', to: '+12125550199', body });
    await settle();

    // Every dashboard screen's answer: lists, then the detail of every row they name.
    await dashboard('/v1/api/me');
    await dashboard(`/v1/api/live-calls?client=${CLIENT}`);
    const calls = await dashboard(`/v1/api/calls?client=${CLIENT}&limit=200`);
    for (const call of calls.calls) await dashboard(`/v1/api/calls/${call.id}`);
    const customers = await dashboard(`/v1/api/customers?client=${CLIENT}&limit=200`);
    for (const customer of customers.customers) await dashboard(`/v1/api/customers/${customer.id}`);
    const messages = await dashboard(`/v1/api/messages?client=${CLIENT}&limit=200`);
    for (const message of messages.messages) await dashboard(`/v1/api/messages/${message.id}`);
    const outbox = await app.context.db.selectFrom('outbox').select('id').execute();
    for (const row of outbox) await dashboard(`/v1/api/outbox/${row.id}`);
    await dashboard(`/v1/api/dead-letters?client=${CLIENT}`);
    await dashboard(`/v1/api/callbacks?client=${CLIENT}&state=all`);
    await dashboard(`/v1/api/inbound-messages?client=${CLIENT}`);
    await dashboard(`/v1/api/appointments?client=${CLIENT}&date=2026-03-02&days=14`);
    await dashboard(`/v1/api/errors?client=${CLIENT}&state=all`);
    await dashboard(`/v1/api/audit?client=${CLIENT}`);
    await dashboard(`/v1/api/connections?client=${CLIENT}`);

    // Every text and JSON column of every table, as stored.
    const columns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
      order by table_name, ordinal_position`.execute(app.context.db);
    const byTable = new Map<string, string[]>();
    for (const { table_name, column_name } of columns.rows) byTable.set(table_name, [...(byTable.get(table_name) ?? []), column_name]);
    tables = [];
    for (const [table, names] of byTable) {
      const list = sql.join(names.map((name) => sql`${sql.ref(name)}::text`));
      const rows = await sql<Record<string, string | null>>`select ${list} from ${sql.table(table)}`.execute(app.context.db);
      tables.push({ table, columns: names, rows: rows.rows.length, text: rows.rows.map((row) => JSON.stringify(row)).join('\n') });
    }
  }, 180_000);

  afterAll(async () => {
    await app?.dispose();
  });

  const vendorTraffic = () => {
    const sandbox = app.context.sandbox!;
    return [
      ...[sandbox.zoho.emulator, sandbox.twilio.emulator, sandbox.slack.emulator].flatMap((emulator) =>
        emulator.requests.map((request) => ({
          vendor: `${emulator.name} ${request.method} ${request.path}`,
          // Zoho Calendar takes the event as a URL-encoded query parameter: scan it decoded, as Zoho reads it.
          text: `${decodedUrl(request.url)}\n${JSON.stringify(request.body)}`,
        })),
      ),
      // The decoded text and HTML too: quoted-printable line breaks could split a number in the raw message.
      ...sandbox.smtp.messages.map((message) => ({
        vendor: `smtp ${message.subject}`,
        text: [message.raw, message.subject, message.text, message.html ?? ''].join('\n'),
      })),
    ];
  };

  it('the calls did what a caller asked, with the structured fields intact (so there is something to scan)', async () => {
    expect(bookingAnswer).toMatchObject({ ok: true });
    expect(callbackAnswer).toMatchObject({ ok: true });
    // A clock time the agent filled with an SSN is not understood, and the answer does not repeat the number.
    expect(timeAnswer.ok).toBe(false);
    expect(timeAnswer.message).toContain('[SSN removed]');
    const db = app.context.db;
    const customer = await db.selectFrom('customers').selectAll().where('phone', '=', '+12125550161').executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ name: 'Jordan Rivera', email: 'jordan.rivera@example.com' });
    expect(customer.notes).toContain('[SSN removed]');
    expect(customer.notes).toContain('[account number removed]');
    expect(customer.notes).toContain('[number removed]');
    expect(customer.last_summary).toContain('[SSN removed]');
    const recorded = await db.selectFrom('calls').select('recording_url').where('id', 'in', callIds).execute();
    expect(recorded.map((row) => row.recording_url)).toEqual(callIds.map(() => RECORDING_URL));
    const tasks = await db.selectFrom('callback_tasks').selectAll().orderBy('id').execute();
    expect(tasks.map((task) => task.phone)).toContain('+12125550162');
    expect(tasks.some((task) => task.reason.includes('[SSN removed]'))).toBe(true);
    const appointments = await db.selectFrom('appointments').select(['status', 'notes']).orderBy('id').execute();
    expect(appointments.map((row) => row.status)).toEqual(expect.arrayContaining(['booked', 'cancelled']));
    expect(appointments[0]!.notes).toContain('[SSN removed]');
    const inbound = await db.selectFrom('inbound_messages').select('body').executeTakeFirstOrThrow();
    expect(inbound.body).toContain('[SSN removed]');

    const traffic = vendorTraffic();
    const events = traffic.filter((entry) => entry.vendor.startsWith('zoho POST') && entry.vendor.includes('/events'));
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((entry) => entry.text.includes('[SSN removed]'))).toBe(true);
    expect(traffic.some((entry) => entry.vendor.startsWith('zoho') && entry.vendor.includes('/crm/'))).toBe(true);
    expect(traffic.some((entry) => entry.vendor.startsWith('twilio'))).toBe(true);
    expect(traffic.some((entry) => entry.vendor.startsWith('slack'))).toBe(true);
    expect(traffic.some((entry) => entry.vendor.startsWith('smtp'))).toBe(true);
  });

  it('the scanner finds every planted number in what was sent in (positive control)', () => {
    const everything = sent.join('\n');
    for (const plant of planted) {
      expect(find(everything).filter((hit) => hit.startsWith(`${plant.label}:`)).length, plant.label).toBeGreaterThan(0);
    }
    expect(planted.length).toBeGreaterThanOrEqual(20);
    expect(leaks('{"notes":"SSN 123 45 6789"}')).toEqual(['SSN-shaped: 123 45 6789']);
  });

  it('no table holds a planted number or any SSN-shaped number, in any text or JSON column', () => {
    const names = tables.map((entry) => entry.table);
    for (const table of [
      'calls',
      'customers',
      'callback_tasks',
      'function_invocations',
      'appointments',
      'outbox',
      'outbox_attempts',
      'inbound_messages',
      'webhook_events',
      'errors',
    ]) {
      expect(names).toContain(table);
    }
    expect(tables.find((entry) => entry.table === 'function_invocations')!.rows).toBeGreaterThan(5);
    for (const entry of tables) expect(leaks(entry.text), entry.table).toEqual([]);
  });

  it('no dashboard answer carries one', () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) expect(leaks(answer.text), answer.path).toEqual([]);
  });

  it('no request to Zoho (Calendar, CRM), Twilio or Slack, and no e-mail, carries one', () => {
    const traffic = vendorTraffic();
    expect(traffic.length).toBeGreaterThan(5);
    for (const entry of traffic) expect(leaks(entry.text), entry.vendor).toEqual([]);
  });

  it('the log carries none', () => {
    // The happy path logs little (request logging is off); what it logs is scanned.
    expect(logLines.join('')).toContain('"msg":"Appointment booked"');
    expect(leaks(logLines.join(''))).toEqual([]);
  });
});
