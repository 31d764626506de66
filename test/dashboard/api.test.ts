import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, apiFor, openLiveSocket, seedClientData, signIn, type Api, type Seeded } from './support.js';

interface Route {
  method: string;
  path: (a: Seeded) => string;
  body?: (a: Seeded) => unknown;
}

/** Every API route, aimed at client A's data. */
const ROUTES: Route[] = [
  { method: 'GET', path: () => `/v1/api/live-calls?client=${CLIENT_A}` },
  { method: 'GET', path: () => `/v1/api/calls?client=${CLIENT_A}` },
  { method: 'GET', path: (a) => `/v1/api/calls/${a.callId}` },
  { method: 'GET', path: () => `/v1/api/messages?client=${CLIENT_A}` },
  { method: 'GET', path: (a) => `/v1/api/messages/${a.messageId}` },
  { method: 'POST', path: () => '/v1/api/messages', body: () => ({ client: CLIENT_A, channel: 'sms', to: '+12125550111', body: 'Hello from the office' }) },
  { method: 'POST', path: (a) => `/v1/api/messages/${a.messageId}/retry`, body: () => ({ body: 'Edited body' }) },
  { method: 'POST', path: (a) => `/v1/api/messages/${a.messageId}/cancel`, body: () => ({}) },
  { method: 'GET', path: () => `/v1/api/dead-letters?client=${CLIENT_A}` },
  { method: 'GET', path: (a) => `/v1/api/outbox/${a.deadLetterId}` },
  { method: 'POST', path: (a) => `/v1/api/outbox/${a.deadLetterId}/retry`, body: () => ({}) },
  { method: 'GET', path: () => `/v1/api/errors?client=${CLIENT_A}` },
  { method: 'POST', path: (a) => `/v1/api/errors/${a.errorId}/resolve`, body: () => ({}) },
  { method: 'GET', path: () => `/v1/api/callbacks?client=${CLIENT_A}` },
  { method: 'POST', path: (a) => `/v1/api/callbacks/${a.callbackId}/done`, body: () => ({}) },
  { method: 'GET', path: () => `/v1/api/inbound-messages?client=${CLIENT_A}` },
  { method: 'GET', path: () => `/v1/api/customers?client=${CLIENT_A}` },
  { method: 'GET', path: (a) => `/v1/api/customers/${a.customerId}` },
  { method: 'PATCH', path: (a) => `/v1/api/customers/${a.customerId}`, body: () => ({ notes: 'Prefers mornings' }) },
  { method: 'POST', path: (a) => `/v1/api/customers/${a.customerId}/consent`, body: () => ({ channel: 'sms', purpose: 'marketing', status: 'opted_out' }) },
  { method: 'GET', path: () => `/v1/api/connections?client=${CLIENT_A}` },
  { method: 'POST', path: () => `/v1/api/connections/${CLIENT_A}/alert-test`, body: () => ({}) },
  { method: 'GET', path: () => `/v1/api/appointments?client=${CLIENT_A}&date=2026-03-02` },
  { method: 'POST', path: () => '/v1/api/simulate', body: () => ({ client: CLIENT_A, scenario: 'caller-hangs-up-early' }) },
];

describe.each(BACKENDS)('dashboard API (%s)', (backend) => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;
  let admin: Api;
  let staffA: Api;
  let staffB: Api;

  beforeAll(async () => {
    app = await startTestApp(backend);
    a = await seedClientData(app, CLIENT_A, '+12125550123');
    b = await seedClientData(app, CLIENT_B, '+16025550123');
    admin = await signIn(app, await aUser(app, 'admin'));
    staffA = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    staffB = await signIn(app, await aUser(app, 'staff', [CLIENT_B]));
  });
  afterAll(async () => {
    await app?.dispose();
  });

  describe('authorisation matrix: every route × anonymous / staff of A / staff of B / admin', () => {
    it.each(ROUTES.map((route) => [`${route.method} ${route.path({ callId: ':call', customerId: 0, messageId: 0, deadLetterId: 0, errorId: 0, callbackId: 0 })}`, route] as const))(
      '%s',
      async (_name, route) => {
        const auditBefore = await app.context.db.selectFrom('audit').select('id').where('client_id', '=', CLIENT_A).execute();
        const anonymous = await apiFor(app).request(route.method, route.path(a), route.body?.(a));
        expect(anonymous.status).toBe(401);
        const other = await staffB.request(route.method, route.path(a), route.body?.(a));
        expect(other.status).toBe(404);
        expect(JSON.stringify(other.body)).not.toContain(CLIENT_A === 'smart-tax-nation' ? 'Caller of smart-tax-nation' : CLIENT_A);
        // Neither refused attempt changed anything of client A.
        const auditAfter = await app.context.db.selectFrom('audit').select('id').where('client_id', '=', CLIENT_A).execute();
        expect(auditAfter.length).toBe(auditBefore.length);
        const own = await staffA.request(route.method, route.path(a), route.body?.(a));
        expect(own.status, JSON.stringify(own.body)).toBeLessThan(300);
        const super_ = await admin.request(route.method, route.path(a), route.body?.(a));
        // A state change done by staff A may leave nothing to do (409: already resolved, not retryable).
        expect([200, 201, 202, 204, 409]).toContain(super_.status);
      },
    );
  });

  it('lists without a client filter show staff only their own clients', async () => {
    for (const path of ['/v1/api/calls', '/v1/api/messages', '/v1/api/customers', '/v1/api/errors?state=all', '/v1/api/dead-letters?kind=crm_sync', '/v1/api/live-calls', '/v1/api/connections', '/v1/api/callbacks?state=all', '/v1/api/inbound-messages']) {
      const response = await staffB.request('GET', path);
      expect(response.status, path).toBe(200);
      expect(JSON.stringify(response.body), path).not.toContain(CLIENT_A);
      const adminView = await admin.request('GET', path);
      expect(JSON.stringify(adminView.body), path).toContain(CLIENT_B);
    }
  });

  it('shows a call page with its transcript, functions with args and answers, and its messages', async () => {
    const page = await staffB.request('GET', `/v1/api/calls/${b.callId}`);
    expect(page.status).toBe(200);
    expect(page.body.call.transcript).toContain('file my taxes');
    expect(page.body.functions[0]).toMatchObject({ name: 'check_calendar_availability', args: { date: '2026-03-03' }, result: { message: 'Tuesday at 2 PM is free' } });
    expect(page.body.messages[0]).toMatchObject({ id: b.messageId, status: 'dead', segments: 1, channel: 'sms' });
    expect(page.body.crm.syncs[0]).toMatchObject({ id: b.deadLetterId, status: 'dead' });
  });

  it('edits a dead message and sends it again, keeping the old body in its history and the audit log', async () => {
    const retried = await staffB.request('POST', `/v1/api/messages/${b.messageId}/retry`, { body: 'Corrected: your appointment is confirmed' });
    expect(retried.status).toBe(200);
    expect(retried.body.message).toMatchObject({ status: 'scheduled', body: 'Corrected: your appointment is confirmed', attempts: 0 });
    const detail = await staffB.request('GET', `/v1/api/messages/${b.messageId}`);
    expect(detail.body.history.at(-1)).toMatchObject({ outcome: 'edited', payload: { body: 'Your appointment is confirmed' } });
    const audit = await app.context.db.selectFrom('audit').selectAll().where('target', '=', `outbox:${b.messageId}`).execute();
    expect(audit.map((row) => row.action)).toContain('message.edit_and_retry');
    expect(audit[0]!.before).toMatchObject({ status: 'dead' });
  });

  it('refuses to compose a message to someone who opted out unless a transactional override is given, and audits the override', async () => {
    const optOut = await staffB.request('POST', `/v1/api/customers/${b.customerId}/consent`, { channel: 'sms', purpose: 'all', status: 'opted_out' });
    expect(optOut.status).toBe(200);
    expect(optOut.body.consents.sms).toMatchObject({ marketing: 'opted_out', transactional: 'opted_out' });
    const refused = await staffB.request('POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', customerId: b.customerId, body: 'Your documents are ready' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/opted out/);
    const marketing = await staffB.request('POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', customerId: b.customerId, body: 'Promo', purpose: 'marketing', overrideConsent: true });
    expect(marketing.status).toBe(409);
    const overridden = await staffB.request('POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', customerId: b.customerId, body: 'Your documents are ready', overrideConsent: true });
    expect(overridden.status).toBe(201);
    expect(overridden.body.message).toMatchObject({ status: 'scheduled', to: '+16025550123' });
    const audit = await app.context.db.selectFrom('audit').selectAll().where('action', '=', 'message.compose_consent_override').execute();
    expect(audit).toHaveLength(1);
    const history = await staffB.request('GET', `/v1/api/customers/${b.customerId}`);
    expect(history.body.consentHistory.at(-1)).toMatchObject({ channel: 'sms', status: 'opted_out', source: 'staff' });
  });

  it('edits a customer and records who changed what', async () => {
    const edited = await staffB.request('PATCH', `/v1/api/customers/${b.customerId}`, { name: 'Dana Rivera', email: 'dana@example.com' });
    expect(edited.status).toBe(200);
    expect(edited.body.customer).toMatchObject({ name: 'Dana Rivera', email: 'dana@example.com' });
    const audit = await app.context.db.selectFrom('audit').selectAll().where('action', '=', 'customer.edit').where('client_id', '=', CLIENT_B).executeTakeFirstOrThrow();
    expect(audit.before).toMatchObject({ name: `Caller of ${CLIENT_B}` });
    expect(audit.after).toMatchObject({ name: 'Dana Rivera' });
  });

  it('masks personal data in the error log', async () => {
    const errors = await staffB.request('GET', '/v1/api/errors');
    const text = JSON.stringify(errors.body);
    expect(text).not.toContain('6025550123');
    const resolved = await staffB.request('POST', `/v1/api/errors/${b.errorId}/resolve`, {});
    expect(resolved.status).toBe(200);
    const open = await staffB.request('GET', '/v1/api/errors?state=open');
    expect(open.body.errors.map((error: { id: number }) => error.id)).not.toContain(b.errorId);
  });

  it('answers bad input with 400 and a message, never 500', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/api/messages/abc', undefined],
      ['GET', '/v1/api/messages?status=nonsense', undefined],
      ['POST', '/v1/api/messages', { client: CLIENT_B, channel: 'fax' }],
      ['POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', to: '555', body: 'x' }],
      ['PATCH', `/v1/api/customers/${b.customerId}`, { email: 'not-an-email' }],
      ['GET', '/v1/api/calls?before=yesterday', undefined],
    ] as const) {
      const response = await staffB.request(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.body.message).toBeTruthy();
    }
  });

  it('shows staff their callback tasks and inbound texts, and marks a callback done with an audit entry', async () => {
    const inbound = await staffB.request('GET', '/v1/api/inbound-messages');
    expect(inbound.status).toBe(200);
    expect(inbound.body.messages.map((message: { body: string }) => message.body)).toEqual([`Is my return done? (${CLIENT_B})`]);
    const open = await staffB.request('GET', '/v1/api/callbacks');
    expect(open.body.callbacks).toEqual([expect.objectContaining({ id: b.callbackId, reason: 'Wants to talk about an extension', status: 'open', preferredTime: 'mornings' })]);
    const done = await staffB.request('POST', `/v1/api/callbacks/${b.callbackId}/done`, {});
    expect(done.status).toBe(200);
    expect((await staffB.request('GET', '/v1/api/callbacks')).body.callbacks).toEqual([]);
    const all = await staffB.request('GET', '/v1/api/callbacks?state=all');
    expect(all.body.callbacks[0]).toMatchObject({ status: 'done', completedBy: expect.stringContaining('@') });
    expect((await staffB.request('POST', `/v1/api/callbacks/${b.callbackId}/done`, {})).status).toBe(409);
    const audit = await app.context.db.selectFrom('audit').selectAll().where('target', '=', `callback:${b.callbackId}`).execute();
    expect(audit).toEqual([expect.objectContaining({ action: 'callback.done', client_id: CLIENT_B, after: { status: 'done' } })]);
  });

  it('forwards live events only to dashboards allowed to see that client', async () => {
    const liveA = openLiveSocket(app, { cookie: staffA.cookie!, origin: app.url! });
    const liveB = openLiveSocket(app, { cookie: staffB.cookie!, origin: app.url! });
    await expect.poll(() => [liveA, liveB].every((live) => live.events.some((event) => event.type === 'hello'))).toBe(true);
    await app.context.bus.publish({ type: 'call.updated', clientId: CLIENT_A, data: { callId: a.callId } });
    await app.context.bus.publish({ type: 'call.updated', clientId: CLIENT_B, data: { callId: b.callId } });
    // Work left over from earlier tests may still publish events; only what each socket may see matters here.
    const ours = new Set([a.callId, b.callId]);
    const calls = (live: typeof liveA) =>
      live.events
        .filter((event) => event.type === 'call.updated' && ours.has((event as { data?: { callId?: string } }).data?.callId ?? ''))
        .map((event) => event.clientId);
    await expect.poll(() => calls(liveA).includes(CLIENT_A) && calls(liveB).includes(CLIENT_B)).toBe(true);
    expect(liveA.events.every((event) => event.clientId === undefined || event.clientId === CLIENT_A)).toBe(true);
    expect(liveB.events.every((event) => event.clientId === undefined || event.clientId === CLIENT_B)).toBe(true);
    expect(calls(liveA)).toEqual([CLIENT_A]);
    expect(calls(liveB)).toEqual([CLIENT_B]);
    liveA.socket.close();
    liveB.socket.close();
  });

  it('closes a live socket opened without a session or from another site', async () => {
    expect(await openLiveSocket(app, { origin: app.url! }).closed).toBe(401);
    expect(await openLiveSocket(app, { cookie: staffA.cookie!, origin: 'https://evil.example' }).closed).toBe(403);
  });
});
