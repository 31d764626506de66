import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import type { BusEvent } from '../../src/events/bus.js';
import { AGENT, CALLER, CLIENT, aCall, aCallId, anAnalyzedCall, anEndedCall, inboundPath, signedPost, webhookPath } from './support.js';

describe.each(BACKENDS)('Retell webhooks on %s', (kind) => {
  let app: TestApp;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp(kind);
    url = app.url!;
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  /** Delivers a signed event and lets the worker apply what the webhook stored, as it would moments later. */
  const post = async (body: unknown, options?: Parameters<typeof signedPost>[3]) => {
    const answer = await signedPost(url, webhookPath(), body, options);
    await app.applyCallEvents();
    return answer;
  };

  describe('signatures', () => {
    it('refuses missing, malformed, wrong-key, tampered and stale signatures with 401, and raises one alert for the burst', async () => {
      const body = { event: 'call_started', call: aCall({ call_id: aCallId() }) };
      const raw = JSON.stringify(body);
      const answers = [
        await post(body, { signature: null }),
        await post(body, { signature: 'v=abc,d=zz' }),
        await post(body, { key: 'key_someone_else' }),
        await post(body, { rawBody: raw, signature: (await signedPostSignature(raw)).replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) }),
        await post(body, { signedAt: Date.now() - 6 * 60 * 1000 }),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401]);
      const errors = await app.context.db.selectFrom('errors').selectAll().where('source', '=', 'retell.signature').execute();
      expect(errors).toHaveLength(1);
      expect(errors[0]!.count).toBe(5);
      const alerts = await app.context.db.selectFrom('outbox').select('kind').where('kind', 'in', ['alert_slack', 'alert_email']).execute();
      expect(alerts.map((row) => row.kind).sort()).toEqual(['alert_email', 'alert_slack']);
      const calls = await app.context.db
        .selectFrom('calls')
        .select('id')
        .where('id', '=', body.call.call_id as string)
        .execute();
      expect(calls).toHaveLength(0);
    });

    it('accepts a body signed by retell-sdk over the exact bytes, even when they are not canonical JSON', async () => {
      const callId = aCallId();
      const raw = `{ "event" : "call_started",\n "call": ${JSON.stringify(aCall({ call_id: callId, transcript: 'caf\u00e9 \\u00e9' }))} }`;
      const answer = await post(undefined, { rawBody: raw });
      expect(answer.status).toBe(200);
    });
  });

  describe('the door', () => {
    it("answers 404 for an unknown office and 403 for an agent that is not the office's", async () => {
      const body = { event: 'call_started', call: aCall({ call_id: aCallId() }) };
      expect((await signedPost(url, webhookPath('no-such-office'), body)).status).toBe(404);
      const foreign = await post({ event: 'call_started', call: aCall({ call_id: aCallId(), agent_id: 'agent_someone_else' }) });
      expect(foreign.status).toBe(403);
    });

    it('answers 400 for malformed JSON and names the field a call event lacks', async () => {
      const malformed = await post(undefined, { rawBody: '{"event": "call_ended", "call": ' });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).message).toMatch(/not valid JSON/);
      const missing = await post({ event: 'call_ended', call: { agent_id: AGENT } });
      expect(missing.status).toBe(400);
      expect((await missing.json()).message).toContain('call.call_id');
      const wrongType = await post({ event: 'call_ended', call: aCall({ call_id: aCallId(), start_timestamp: 'yesterday' }) });
      expect(wrongType.status).toBe(400);
      expect((await wrongType.json()).message).toContain('call.start_timestamp');
    });

    it('accepts a 60-minute call transcript but answers 413 past the limit', async () => {
      const utterances = Array.from({ length: 1200 }, (_, i) => ({
        role: i % 2 ? 'user' : 'agent',
        content: 'I would like to ask about my tax return and what documents to bring to the office please.',
        words: Array.from({ length: 20 }, (_, w) => ({ word: 'word', start: i * 4 + w * 0.2, end: i * 4 + w * 0.2 + 0.15 })),
      }));
      const longCall = anEndedCall({
        call_id: aCallId(),
        duration_ms: 3_600_000,
        transcript: utterances.map((u) => `${u.role === 'user' ? 'User' : 'Agent'}: ${u.content}`).join('\n'),
        transcript_object: utterances,
      });
      const body = { event: 'call_ended', call: longCall };
      expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024);
      expect((await post(body)).status).toBe(200);
      const huge = { event: 'call_ended', call: anEndedCall({ call_id: aCallId(), transcript: 'x'.repeat(9 * 1024 * 1024) }) };
      expect((await post(huge)).status).toBe(413);
    });

    it('accepts an event type it does not know with 2xx so Retell never retries it', async () => {
      const answer = await post({ event: 'call_teleported', call: aCall({ call_id: aCallId() }), surprise: [1, 2] });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ ignored: true });
    });
  });

  describe('idempotent, order-independent intake', () => {
    it('turns 10 identical concurrent deliveries into one call record and one set of follow-ups', async () => {
      const callId = aCallId();
      const body = { event: 'call_ended', call: anEndedCall({ call_id: callId, from_number: '+12125550111' }) };
      const raw = JSON.stringify(body);
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(undefined, { rawBody: raw })));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      const statuses = await Promise.all(answers.map(async (answer) => (await answer.json()).status));
      expect(statuses.filter((status) => status === 'accepted')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(9);
      const db = app.context.db;
      expect(await db.selectFrom('calls').select('id').where('id', '=', callId).execute()).toHaveLength(1);
      expect(await db.selectFrom('webhook_events').select('id').where('idempotency_key', 'like', `%:${callId}`).execute()).toHaveLength(1);
      expect(await db.selectFrom('outbox').select('id').where('call_id', '=', callId).where('kind', '=', 'crm_sync').execute()).toHaveLength(1);
      const customer = await db
        .selectFrom('customers')
        .selectAll()
        .where('client_id', '=', CLIENT)
        .where('phone', '=', '+12125550111')
        .executeTakeFirstOrThrow();
      expect(customer.call_count).toBe(1);
    });

    it('ends with the same call record whatever order started, ended and analyzed arrive in', async () => {
      const inOrder = aCallId();
      const reversed = aCallId();
      const events = (callId: string) => [
        { event: 'call_started', call: aCall({ call_id: callId }) },
        { event: 'call_ended', call: anEndedCall({ call_id: callId }) },
        { event: 'call_analyzed', call: anAnalyzedCall({ call_id: callId }) },
      ];
      for (const body of events(inOrder)) expect((await post(body)).status).toBe(200);
      for (const body of events(reversed).reverse()) expect((await post(body)).status).toBe(200);
      const load = (id: string) =>
        app.context.db
          .selectFrom('calls')
          .select([
            'status',
            'stage',
            'started_at',
            'ended_at',
            'duration_ms',
            'transcript',
            'transcript_object',
            'summary',
            'sentiment',
            'successful',
            'intent',
            'outcome',
            'disconnection_reason',
            'recording_url',
            'customer_id',
          ])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
      const a = await load(inOrder);
      const b = await load(reversed);
      expect(b).toEqual(a);
      expect(a.status).toBe('analyzed');
      expect(a.intent).toBe('refund_status');
      expect(a.outcome).toBe('info_only');
    });

    it('stores the transcript with SSN-shaped numbers removed and without word timings', async () => {
      const callId = aCallId();
      await post({ event: 'call_ended', call: anEndedCall({ call_id: callId }) });
      const call = await app.context.db.selectFrom('calls').select(['transcript', 'transcript_object']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(call.transcript).not.toContain('123-45-6789');
      expect(call.transcript).toContain('[SSN removed]');
      expect(JSON.stringify(call.transcript_object)).not.toContain('123-45-6789');
      expect(JSON.stringify(call.transcript_object)).not.toContain('words');
      const stored = await app.context.db
        .selectFrom('webhook_events')
        .select('payload')
        .where('idempotency_key', '=', `${CLIENT}:call_ended:${callId}`)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(stored.payload)).not.toContain('123-45-6789');
    });

    it('updates the caller memory from call_analyzed and schedules the CRM sync: delayed at call_ended, pulled forward by the analysis', async () => {
      const callId = aCallId();
      const phone = '+12125550177';
      await post({ event: 'call_ended', call: anEndedCall({ call_id: callId, from_number: phone }) });
      const db = app.context.db;
      const delayed = await db.selectFrom('outbox').selectAll().where('call_id', '=', callId).where('kind', '=', 'crm_sync').executeTakeFirstOrThrow();
      expect(delayed.run_at.getTime()).toBe(Date.parse('2026-03-02T15:01:35Z') + 10 * 60_000);
      await post({ event: 'call_analyzed', call: anAnalyzedCall({ call_id: callId, from_number: phone }) });
      const syncs = await db.selectFrom('outbox').selectAll().where('call_id', '=', callId).where('kind', '=', 'crm_sync').execute();
      expect(syncs).toHaveLength(1);
      expect(syncs[0]!.run_at.getTime()).toBe(app.clock.now().getTime());
      const customer = await db.selectFrom('customers').selectAll().where('phone', '=', phone).executeTakeFirstOrThrow();
      expect(customer.last_summary).toBe('The caller asked about the status of their refund.');
      expect(customer.last_intent).toBe('refund_status');
      expect(customer.last_outcome).toBe('info_only');
    });

    it('publishes call.updated live events carrying ids only', async () => {
      const seen: Array<{ type: string; data?: Record<string, unknown> }> = [];
      const unsubscribe = app.context.bus.subscribe((event) => seen.push(event));
      const callId = aCallId();
      await post({ event: 'call_started', call: aCall({ call_id: callId }) });
      await post({ event: 'transcript_updated', call: aCall({ call_id: callId, transcript: 'Agent: Hello' }) });
      await waitFor(() => seen.some((e) => e.type === 'call.transcript' && e.data?.callId === callId));
      unsubscribe();
      expect(seen.find((e) => e.type === 'call.updated' && e.data?.callId === callId)?.data).toMatchObject({ status: 'in_progress' });
      expect(JSON.stringify(seen)).not.toContain('Hello');
    });

    it('records handler latency per event type in /metrics', async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/switchboard_webhook_handler_duration_seconds_count\{provider="retell",event="call_ended"\} \d+/);
    });
  });

  describe('call_inbound', () => {
    it('gives an unknown caller string defaults with the office name', async () => {
      const answer = await signedPost(url, inboundPath(), {
        event: 'call_inbound',
        call_inbound: { agent_id: AGENT, from_number: '+12125550100', to_number: '+12125550199', call_id: aCallId() },
      });
      expect(answer.status).toBe(200);
      const body = await answer.json();
      const variables = body.call_inbound.dynamic_variables as Record<string, unknown>;
      expect(Object.values(variables).every((value) => typeof value === 'string')).toBe(true);
      expect(variables).toMatchObject({
        office_name: 'Smart Tax Nation',
        customer_name: '',
        is_returning_caller: 'false',
        last_call_summary: '',
        upcoming_appointment: '',
        caller_opted_out_sms: 'false',
        office_open_now: 'true',
        office_hours_today: '9 AM to 12 PM and 1 PM to 7 PM',
        caller_intent_last: '',
        caller_needs: '',
        caller_language: 'en',
        caller_open_issue: '',
        caller_guidance: '',
      });
    });

    it('gives a returning caller their name, last summary and date, and whether they opted out of texts', async () => {
      const phone = '+12125550144';
      const callId = aCallId();
      await post({ event: 'call_analyzed', call: anAnalyzedCall({ call_id: callId, from_number: phone }) });
      await app.context.db.updateTable('customers').set({ name: 'Dana Whitfield' }).where('phone', '=', phone).execute();
      const { setConsent } = await import('../../src/customers/consent.js');
      await setConsent(app.context.db, app.context, {
        clientId: CLIENT,
        channel: 'sms',
        address: phone,
        purpose: 'all',
        status: 'opted_out',
        source: 'sms_keyword',
      });
      const answer = await signedPost(url, inboundPath(), {
        event: 'call_inbound',
        call_inbound: { from_number: phone, to_number: '+12125550199', call_id: aCallId() },
      });
      const variables = (await answer.json()).call_inbound.dynamic_variables;
      expect(variables).toMatchObject({
        customer_name: 'Dana Whitfield',
        is_returning_caller: 'true',
        last_call_summary: 'The caller asked about the status of their refund.',
        last_call_date: 'Monday, March 2',
        caller_opted_out_sms: 'true',
      });
    });

    it("names the caller's next booked appointment in the office's zone", async () => {
      const phone = '+12125550145';
      await post({ event: 'call_ended', call: anEndedCall({ call_id: aCallId(), from_number: phone }) });
      const customer = await app.context.db.selectFrom('customers').select('id').where('phone', '=', phone).executeTakeFirstOrThrow();
      const appointment = (startAt: string, status: 'booked' | 'cancelled', n: number) => ({
        booking_id: `bk_memory_${kind}_${n}`,
        client_id: CLIENT,
        customer_id: customer.id,
        caller_phone: phone,
        appointment_type: 'individual-return',
        start_at: new Date(startAt),
        end_at: new Date(Date.parse(startAt) + 60 * 60_000),
        block_end_at: new Date(Date.parse(startAt) + 75 * 60_000),
        status,
        created_at: new Date('2026-03-01T12:00:00Z'),
        updated_at: new Date('2026-03-01T12:00:00Z'),
      });
      await app.context.db
        .insertInto('appointments')
        .values([
          appointment('2026-03-01T14:00:00Z', 'booked', 1), // already past at the test clock's 15:00 on March 2
          appointment('2026-03-03T19:30:00Z', 'cancelled', 2),
          appointment('2026-03-05T14:00:00Z', 'booked', 3),
          appointment('2026-03-04T18:30:00Z', 'booked', 4),
        ])
        .execute();
      const answer = await signedPost(url, inboundPath(), { event: 'call_inbound', call_inbound: { from_number: phone, call_id: aCallId() } });
      expect((await answer.json()).call_inbound.dynamic_variables).toMatchObject({
        is_returning_caller: 'true',
        upcoming_appointment: 'Wednesday, March 4 at 1:30 PM',
        upcoming_appointment_type: 'Individual tax return',
      });
    });

    it('records the call as ringing just after answering, once, and never over a call that already started', async () => {
      const events: BusEvent[] = [];
      const ringing = aCallId();
      const started = aCallId();
      let unsubscribe: () => void = () => undefined;
      // Waits on the live event the writer publishes once the row is committed, not on a timer.
      const recorded = new Promise<void>((resolve) => {
        unsubscribe = app.context.bus.subscribe((event) => {
          events.push(event);
          if (event.type === 'call.updated' && (event.data as { callId: string }).callId === ringing) resolve();
        });
      });
      try {
        await post({ event: 'call_started', call: aCall({ call_id: started }) });
        const inbound = (callId: string) =>
          signedPost(url, inboundPath(), {
            event: 'call_inbound',
            call_inbound: { agent_id: AGENT, from_number: CALLER, to_number: '+12125550199', call_id: callId },
          });
        const answers = await Promise.all([inbound(ringing), inbound(ringing), inbound(started)]);
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
        await recorded;
      } finally {
        unsubscribe();
      }
      const rows = await app.context.db.selectFrom('calls').selectAll().where('id', 'in', [ringing, started]).orderBy('id').execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get(ringing)).toMatchObject({ status: 'ringing', stage: 0, from_number: CALLER, agent_id: AGENT, direction: 'inbound' });
      expect(Object.keys(byId.get(ringing)!.events ?? {})).toEqual(['call_inbound']);
      expect(byId.get(started)).toMatchObject({ status: 'in_progress' });
      expect(byId.get(started)!.events).not.toHaveProperty('call_inbound');
      const ringingIds = events
        .filter((event) => event.type === 'call.updated' && (event.data as { status: string }).status === 'ringing')
        .map((event) => (event.data as { callId: string }).callId)
        .filter((callId) => callId === ringing || callId === started);
      expect(ringingIds).toEqual([ringing]);
    });
  });

  describe('alerts', () => {
    it('delivers an alert to Slack and e-mail through the outbox, masked, once for repeats with a count', async () => {
      for (let i = 0; i < 3; i++) {
        await app.context.alerts.raise({
          clientId: CLIENT,
          source: 'test',
          fingerprint: 'test:burst',
          message: `Could not text ${CALLER} about their booking`,
        });
      }
      await app.worker.drain();
      const slack = app.context.sandbox!.slack.messages.filter((m) => m.text?.includes('test'));
      expect(slack).toHaveLength(1);
      expect(slack[0]!.text).toContain('seen 3 times');
      expect(slack[0]!.text).not.toContain('555-0123');
      expect(slack[0]!.text).not.toContain('5550123');
      const mail = app.context.sandbox!.smtp.messages.filter((m) => m.subject?.includes('Switchboard alert'));
      expect(mail.length).toBeGreaterThanOrEqual(1);
    });

    it('keeps a failing Slack hook from breaking anything: the row retries and the request that raised it succeeded', async () => {
      app.context.sandbox!.slack.emulator.faults.failNext(1, 500, 'internal_error');
      await app.context.alerts.raise({ clientId: CLIENT, source: 'test', fingerprint: 'test:slack-down', message: 'Slack is down' });
      await app.worker.drain();
      const row = await app.context.db.selectFrom('outbox').selectAll().where('kind', '=', 'alert_slack').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(row.status).toBe('failed');
      app.clock.advance(61_000);
      await app.worker.drain();
      const after = await app.context.db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow();
      expect(after.status).toBe('done');
    });
  });

  it('cancels pending texts to a caller who opts out (consent takes effect at once)', async () => {
    const phone = '+12125550155';
    const row = await enqueue(app.context.db, app.clock, {
      clientId: CLIENT,
      kind: 'sms',
      payload: { to: phone, body: 'Reminder' },
      dedupeKey: `test-sms-${aCallId()}`,
      runAt: new Date(app.clock.now().getTime() + 3_600_000),
    });
    const { setConsent, isOptedOut, consentHistory } = await import('../../src/customers/consent.js');
    await setConsent(app.context.db, app.context, { clientId: CLIENT, channel: 'sms', address: phone, purpose: 'all', status: 'opted_out', source: 'voice' });
    const after = await app.context.db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('cancelled');
    expect(await isOptedOut(app.context.db, CLIENT, 'sms', phone, 'marketing')).toBe(true);
    await setConsent(app.context.db, app.context, {
      clientId: CLIENT,
      channel: 'sms',
      address: phone,
      purpose: 'all',
      status: 'opted_in',
      source: 'sms_keyword',
    });
    expect(await isOptedOut(app.context.db, CLIENT, 'sms', phone, 'all')).toBe(false);
    expect((await consentHistory(app.context.db, CLIENT, phone)).map((h) => h.status)).toEqual(['opted_out', 'opted_out', 'opted_in', 'opted_in']);
  });
});

async function signedPostSignature(raw: string): Promise<string> {
  const { sign } = await import('retell-sdk');
  const { API_KEY } = await import('./support.js');
  return sign(raw, API_KEY);
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
