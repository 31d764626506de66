import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { CLIENT, aCall, aCallId, functionPath, inboundPath, signedPost, webhookPath } from './support.js';

describe.each(BACKENDS)('Retell functions on %s', (kind) => {
  let app: TestApp;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp(kind);
    url = app.url!;
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  const callFunction = async (name: string | undefined, args: unknown, call: Record<string, unknown>, inPath = true) => {
    const answer = await signedPost(url, functionPath(inPath ? name : undefined), { name, args, call });
    return { status: answer.status, body: await answer.json() };
  };

  it('save_caller_details remembers the caller, and a repeat returns the first answer without a second effect', async () => {
    const callId = aCallId();
    const call = aCall({ call_id: callId, from_number: '+12125550166' });
    const args = { name: 'Dana Whitfield', notes: 'Prefers mornings', email: 'Dana@Example.com' };
    const first = await callFunction('save_caller_details', args, call);
    const second = await callFunction('save_caller_details', { notes: 'Prefers mornings', email: 'Dana@Example.com', name: 'Dana Whitfield' }, call);
    expect(first.status).toBe(200);
    expect(first.body.ok).toBe(true);
    expect(second.body).toEqual(first.body);
    const customer = await app.context.db
      .selectFrom('customers')
      .selectAll()
      .where('client_id', '=', CLIENT)
      .where('phone', '=', '+12125550166')
      .executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ name: 'Dana Whitfield', email: 'dana@example.com', notes: 'Prefers mornings', call_count: 1 });
    const memory = await signedPost(url, inboundPath(), { event: 'call_inbound', call_inbound: { from_number: '+12125550166', to_number: '+12125550199' } });
    expect((await memory.json()).call_inbound.dynamic_variables.customer_name).toBe('Dana Whitfield');
  });

  it('answers invalid args with 200, ok false and what to ask the caller', async () => {
    const answer = await callFunction('save_caller_details', { email: 'not-an-email' }, aCall({ call_id: aCallId() }));
    expect(answer.status).toBe(200);
    expect(answer.body.ok).toBe(false);
    expect(answer.body.message).toMatch(/ask the caller for their e-mail address/);
    const missing = await callFunction('request_callback', {}, aCall({ call_id: aCallId() }));
    expect(missing.body).toMatchObject({ ok: false });
    expect(missing.body.message).toMatch(/reason for the callback/);
    const nameless = await callFunction('book_appointment', { start: '2026-03-10T14:00:00-05:00' }, aCall({ call_id: aCallId() }));
    expect(nameless.body).toMatchObject({ ok: false });
    expect(nameless.body.message).toMatch(/ask the caller for their full name, then try again/);
    expect(nameless.body.message).not.toMatch(/their the/);
  });

  it('answers 404 for an unknown function and takes the name from the body on the shared URL', async () => {
    expect((await callFunction('teleport_caller', {}, aCall({ call_id: aCallId() }))).status).toBe(404);
    const fromBody = await callFunction('request_callback', { reason: 'Question about an IRS letter' }, aCall({ call_id: aCallId() }), false);
    expect(fromBody.status).toBe(200);
    expect(fromBody.body.ok).toBe(true);
  });

  it('opt_out stops texts at once: consent recorded, pending texts cancelled, the call outcome is opted_out', async () => {
    const phone = '+12125550188';
    const callId = aCallId();
    const pending = await enqueue(app.context.db, app.clock, {
      clientId: CLIENT,
      kind: 'sms',
      payload: { to: phone, body: 'Nurture' },
      dedupeKey: `t-${callId}`,
      runAt: new Date(app.clock.now().getTime() + 86_400_000),
    });
    const answer = await callFunction('opt_out', { channel: 'sms' }, aCall({ call_id: callId, from_number: phone }));
    expect(answer.body.ok).toBe(true);
    expect((await app.context.db.selectFrom('outbox').select('status').where('id', '=', pending.id).executeTakeFirstOrThrow()).status).toBe('cancelled');
    await signedPost(url, webhookPath(), {
      event: 'call_ended',
      call: aCall({
        call_id: callId,
        from_number: phone,
        call_status: 'ended',
        end_timestamp: Date.parse('2026-03-02T15:03:00Z'),
        duration_ms: 180_000,
        disconnection_reason: 'user_hangup',
      }),
    });
    await app.applyCallEvents();
    const call = await app.context.db.selectFrom('calls').select(['outcome']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call.outcome).toBe('opted_out');
  });

  it('request_callback creates one task for staff even when Retell retries it concurrently', async () => {
    const callId = aCallId();
    const call = aCall({ call_id: callId, from_number: '+12125550199' });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => callFunction('request_callback', { reason: 'Wants to talk to a preparer', preferred_time: 'tomorrow morning' }, call)),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const tasks = await app.context.db.selectFrom('callback_tasks').selectAll().where('call_id', '=', callId).execute();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'open', reason: 'Wants to talk to a preparer', phone: '+12125550199' });
  });

  it('never answers 500 to any body a caller can send (generated bodies)', async () => {
    const paths = [webhookPath(), inboundPath(), functionPath('save_caller_details'), functionPath()];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.jsonValue(),
          fc.record({ event: fc.string(), call: fc.jsonValue() }),
          fc.record({
            event: fc.constant('call_ended'),
            call: fc.record({ call_id: fc.string(), start_timestamp: fc.oneof(fc.integer(), fc.double(), fc.string()), transcript_object: fc.jsonValue() }),
          }),
          fc.record({ name: fc.string(), args: fc.jsonValue(), call: fc.record({ call_id: fc.string({ minLength: 1 }), from_number: fc.string() }) }),
        ),
        async (path, body) => {
          const answer = await signedPost(url, path, body);
          expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
