/**
 * Issue 17, the optional LLM rewrite at send time, through whole calls: signed Retell webhooks, the outbox worker, the
 * Twilio emulator and the Anthropic Messages API emulator (through `@anthropic-ai/sdk`), with the office's
 * `insights.rewrite.enabled` on. A rewrite that keeps every fact is sent; one that moves an open appointment time is
 * not (the template is, with the reason stored); an LLM slower than the budget leaves the template, and the retry of
 * a failed send never asks it again; an office that did not turn it on is never reworded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagePayload } from '../../src/messaging/payload.js';
import { warmGreeting } from '../../src/sandbox/anthropic.js';
import { aUser, signIn } from '../dashboard/support.js';
import { anAppointment } from '../messaging/support.js';
import { CLIENT, anAnalyzedCall, aCallId, signedPost, webhookPath } from '../retell/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';

const PRICING_CALL = {
  transcript:
    'Agent: Smart Tax Nation, how can I help?\nUser: How much is a basic return? Money is tight this year.\nAgent: It starts at 149 dollars.\nUser: Okay, I will think about it.',
  transcript_object: [
    { role: 'agent', content: 'Smart Tax Nation, how can I help?', words: [] },
    { role: 'user', content: 'How much is a basic return? Money is tight this year.', words: [] },
    { role: 'agent', content: 'It starts at 149 dollars.', words: [] },
    { role: 'user', content: 'Okay, I will think about it.', words: [] },
  ],
  call_analysis: {
    call_summary: 'The caller asked what a basic return costs and did not book.',
    user_sentiment: 'Neutral',
    call_successful: true,
    in_voicemail: false,
  },
};

describe.each(BACKENDS)('the follow-up rewrite at send time on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(kind);
    const runtime = app.context.clients.get(CLIENT)!;
    const config = runtime.config;
    await app.context.clients.set({
      ...runtime,
      config: {
        ...config,
        insights: { rewrite: { enabled: true } },
        followUps: { ...config.followUps, afterAppointment: { ...config.followUps.afterAppointment, rebook: true, rebookSlots: 2, delayMinutes: 60 } },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  const anthropic = () => app.context.sandbox!.anthropic;
  const twilio = () => app.context.sandbox!.twilio;
  const llmCalls = () => anthropic().requests.filter((request) => request.path === '/v1/messages').length;

  /** A whole call from `from`, ended and analysed, signed as Retell signs; the stored events are applied. */
  async function aCallFrom(from: string): Promise<string> {
    const callId = aCallId();
    const now = app.clock.now().getTime();
    const call = anAnalyzedCall({ call_id: callId, from_number: from, start_timestamp: now - 120_000, end_timestamp: now, ...PRICING_CALL });
    for (const event of ['call_ended', 'call_analyzed']) expect((await signedPost(app.url!, webhookPath(), { event, call })).status).toBe(200);
    await app.applyCallEvents();
    return callId;
  }

  async function textRow(where: { callId?: string; template: string; to: string }) {
    const rows = await app.context.db.selectFrom('outbox').selectAll().where('kind', '=', 'sms').orderBy('id').execute();
    return rows.find((row) => {
      const payload = row.payload as MessagePayload;
      return payload.template === where.template && payload.to === where.to && (!where.callId || row.call_id === where.callId);
    })!;
  }

  async function drain() {
    await app.worker.drain();
    await twilio().flushCallbacks();
  }

  it('a rewrite that keeps every fact is the text sent; the template stays in the payload', async () => {
    const from = '+12125550191';
    anthropic().script = warmGreeting;
    const callId = await aCallFrom(from);
    const planned = await textRow({ callId, template: 'nurture_day1', to: from });
    const template = (planned.payload as MessagePayload).body!;
    expect(template).toContain('Thanks for calling');
    const before = llmCalls();

    app.clock.set(planned.run_at);
    await drain();

    const [sent] = twilio()
      .messagesTo(from)
      .map((message) => message.body);
    expect(sent).toBe(template.replace('Thanks for calling', 'Thank you for calling'));
    const row = await textRow({ callId, template: 'nurture_day1', to: from });
    expect(row.status).toBe('done');
    expect((row.payload as MessagePayload).body).toBe(sent);
    expect((row.payload as MessagePayload).rewrite).toMatchObject({
      used: true,
      code: 'rewritten',
      reason: 'rewritten',
      provider: 'emulator',
      original: template,
    });
    expect(llmCalls()).toBe(before + 1);
    // The model saw the call's summary and labels and the rendered template, never the caller's number or transcript.
    const asked = JSON.stringify(anthropic().requests.at(-1)!.body);
    expect(asked).toContain('asked what a basic return costs');
    expect(asked).toContain('intent pricing');
    expect(asked).not.toContain(from.slice(2));
    expect(asked).not.toContain('Money is tight');
  });

  it('a rewrite that moves an open appointment time is not sent: the template is, with the reason stored', async () => {
    const from = '+12125550192';
    const callId = await aCallFrom(from);
    const customer = await app.context.db.selectFrom('customers').select('id').where('phone', '=', from).executeTakeFirstOrThrow();
    const appointmentId = await anAppointment(app.context.db, { customerId: customer.id, callId, startAt: new Date(app.clock.now().getTime() - 3_600_000) });
    const staff = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    // The model moves the first open time by an hour: "Tue 3/3 10:00 AM" becomes "Tue 3/3 11:00 AM".
    anthropic().script = (message) =>
      message.replace(/(\d{1,2}):(\d{2}) ([AP]M)/, (_all, hour: string, minute: string, half: string) => `${(Number(hour) % 12) + 1}:${minute} ${half}`);
    expect((await staff.request('POST', `/v1/api/appointments/${appointmentId}/attendance`, { attendance: 'no_show' })).status).toBe(200);
    await drain();
    app.clock.advance(1_000);
    await drain();

    const texts = twilio()
      .messagesTo(from)
      .map((message) => message.body);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('We missed you today');
    const row = await textRow({ template: 'rebook', to: from });
    const payload = row.payload as MessagePayload;
    expect(row.appointment_id).toBe(appointmentId);
    expect(texts[0]).toBe(payload.body);
    expect(payload.rewrite).toMatchObject({ used: false, provider: 'emulator' });
    expect(payload.rewrite!.original).toBeUndefined();
    expect(payload.rewrite!.code).toMatch(/^(lost_time|lost_date_time|added_number)$/);
    expect(payload.rewrite!.reason).toMatch(/^the rewrite (lost or changed|added) "/);
    // The model was asked about this very text, and what it proposed did change a time in it.
    const asked = (anthropic().requests.at(-1)!.body as { messages: Array<{ content: string }> }).messages[0]!.content;
    expect(asked.endsWith(`\nMessage:\n${payload.body}`)).toBe(true);
    expect(anthropic().script(payload.body!, { model: '', prompt: '' })).not.toBe(payload.body);
  });

  it('an LLM slower than the budget leaves the template, and the retry of a failed send does not ask it again', async () => {
    const from = '+12125550193';
    anthropic().script = warmGreeting;
    const callId = await aCallFrom(from);
    const planned = await textRow({ callId, template: 'nurture_day1', to: from });
    const template = (planned.payload as MessagePayload).body!;
    // Only this text is due: the earlier callers' Day 1 and Day 4 texts (rewritten too) would share the LLM's count.
    await app.context.db
      .updateTable('outbox')
      .set({ status: 'cancelled' })
      .where('kind', 'in', ['sms', 'email'])
      .where('status', '=', 'scheduled')
      .where('id', '!=', planned.id)
      .execute();
    // The 3 s budget shortened for the test, the emulator slower than it: no real 3 s wait.
    const rewriter = app.context.rewriter!;
    const budgetMs = rewriter.budgetMs;
    rewriter.budgetMs = 150;
    anthropic().faults.latency(1_500, { match: '/v1/messages', times: 1 });
    twilio().faults.failNext(1, 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { match: 'Messages.json', method: 'POST' });
    const before = llmCalls();
    try {
      app.clock.set(planned.run_at);
      await drain();
      const failed = await textRow({ callId, template: 'nurture_day1', to: from });
      expect(failed.attempts).toBe(1);
      expect(failed.status).toBe('failed');
      expect((failed.payload as MessagePayload).rewrite).toMatchObject({ used: false, code: 'budget', reason: 'no answer within 150 ms' });
      expect(twilio().messagesTo(from)).toHaveLength(0);
      expect(llmCalls()).toBe(before + 1);

      app.clock.set(failed.run_at);
      await drain();
      expect(
        twilio()
          .messagesTo(from)
          .map((message) => message.body),
      ).toEqual([template]);
      const done = await textRow({ callId, template: 'nurture_day1', to: from });
      expect(done.status).toBe('done');
      expect(done.attempts).toBe(2);
      expect(llmCalls()).toBe(before + 1);
    } finally {
      rewriter.budgetMs = budgetMs;
    }
  });

  it('an office that has not turned the rewrite on sends its template without asking the LLM or noting a decision', async () => {
    const runtime = app.context.clients.get(CLIENT)!;
    await app.context.clients.set({ ...runtime, config: { ...runtime.config, insights: { rewrite: { enabled: false } } } });
    try {
      const from = '+12125550194';
      const callId = await aCallFrom(from);
      const planned = await textRow({ callId, template: 'nurture_day1', to: from });
      await app.context.db
        .updateTable('outbox')
        .set({ status: 'cancelled' })
        .where('kind', 'in', ['sms', 'email'])
        .where('status', '=', 'scheduled')
        .where('id', '!=', planned.id)
        .execute();
      const before = llmCalls();
      app.clock.set(planned.run_at);
      await drain();
      expect(
        twilio()
          .messagesTo(from)
          .map((message) => message.body),
      ).toEqual([(planned.payload as MessagePayload).body]);
      const done = await textRow({ callId, template: 'nurture_day1', to: from });
      expect(done.status).toBe('done');
      expect((done.payload as MessagePayload).rewrite).toBeUndefined();
      expect(llmCalls()).toBe(before);
    } finally {
      await app.context.clients.set(runtime);
    }
  });
});
