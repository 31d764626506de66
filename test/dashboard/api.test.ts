import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../../src/dashboard/audit.js';
import { json } from '../../src/db/json.js';
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
  { method: 'GET', path: () => `/v1/api/audit?client=${CLIENT_A}` },
  {
    method: 'POST',
    path: () => '/v1/api/templates/preview',
    body: () => ({ client: CLIENT_A, channel: 'sms', kind: 'confirmation', text: 'Hi {{first_name}}, see you {{appointment_time_short}}' }),
  },
  { method: 'GET', path: () => `/v1/api/analytics/summary?client=${CLIENT_A}` },
  { method: 'GET', path: () => `/v1/api/analytics/summary?client=${CLIENT_A}&format=csv` },
  { method: 'GET', path: () => `/v1/api/analytics/series?client=${CLIENT_A}&metric=calls&bucket=day` },
  { method: 'GET', path: () => `/v1/api/analytics/series?client=${CLIENT_A}&metric=sentiment&bucket=hour&format=csv` },
];

/** Routes that hold no office's data (the onboarding wizard's catalogue): any signed-in user, nobody else. */
const SIGNED_IN_ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/v1/api/packs' },
  { method: 'GET', path: '/v1/api/packs/dental' },
  { method: 'GET', path: '/v1/api/hours-presets' },
  { method: 'GET', path: '/v1/api/me/digest' },
  { method: 'POST', path: '/v1/api/timezone-proposal', body: { phone: '+16025550117' } },
  {
    method: 'POST',
    path: '/v1/api/templates/preview',
    body: { channel: 'sms', kind: 'nurture_day1', text: 'Thanks for calling {{office_name}}. {{opt_out_text}}' },
  },
];

interface AdminRoute {
  method: string;
  path: (userId: number) => string;
  body?: unknown;
  /** What an admin gets: the change made, or a refusal in words (a reset link for a disabled user, …). */
  adminStatus: number[];
}

/** Routes for admins only, aimed at staff A's account: staff get 403 (they know the screen exists), anonymous 401. */
const ADMIN_ROUTES: AdminRoute[] = [
  { method: 'GET', path: () => '/v1/api/users', adminStatus: [200] },
  {
    method: 'POST',
    path: () => '/v1/api/users/invite',
    body: { email: 'matrix.invite@example.com', role: 'staff', clientIds: [CLIENT_A] },
    adminStatus: [201],
  },
  { method: 'PATCH', path: (id) => `/v1/api/users/${id}`, body: { clientIds: [CLIENT_A] }, adminStatus: [200] },
  { method: 'POST', path: (id) => `/v1/api/users/${id}/reset-password`, body: {}, adminStatus: [202] },
  { method: 'POST', path: () => '/v1/api/users/invites/999999/revoke', body: {}, adminStatus: [404] },
];

/** Public routes: no session needed; an unknown link is 404 for everyone. */
const PUBLIC_ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: `/v1/api/invites/${'C'.repeat(43)}` },
  { method: 'POST', path: '/v1/api/invites/accept', body: { token: 'C'.repeat(43), password: 'long enough password' } },
];

describe.each(BACKENDS)('dashboard API (%s)', (backend) => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;
  let admin: Api;
  let staffA: Api;
  let staffB: Api;
  let adminEmail: string;
  let staffAEmail: string;
  let staffBEmail: string;

  beforeAll(async () => {
    app = await startTestApp(backend);
    a = await seedClientData(app, CLIENT_A, '+12125550123');
    b = await seedClientData(app, CLIENT_B, '+16025550123');
    adminEmail = await aUser(app, 'admin');
    staffAEmail = await aUser(app, 'staff', [CLIENT_A]);
    staffBEmail = await aUser(app, 'staff', [CLIENT_B]);
    admin = await signIn(app, adminEmail);
    staffA = await signIn(app, staffAEmail);
    staffB = await signIn(app, staffBEmail);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  describe('authorisation matrix: every route × anonymous / staff of A / staff of B / admin', () => {
    it.each(
      ROUTES.map(
        (route) =>
          [`${route.method} ${route.path({ callId: ':call', customerId: 0, messageId: 0, deadLetterId: 0, errorId: 0, callbackId: 0 })}`, route] as const,
      ),
    )('%s', async (_name, route) => {
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
    });
  });

  it.each(SIGNED_IN_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: anonymous 401, every signed-in user 200',
    async (_name, route) => {
      expect((await apiFor(app).request(route.method, route.path, route.body)).status).toBe(401);
      for (const api of [staffA, staffB, admin]) {
        const answer = await api.request(route.method, route.path, route.body);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      }
    },
  );

  it('lists without a client filter show staff only their own clients', async () => {
    for (const path of [
      '/v1/api/calls',
      '/v1/api/messages',
      '/v1/api/customers',
      '/v1/api/errors?state=all',
      '/v1/api/dead-letters?kind=crm_sync',
      '/v1/api/live-calls',
      '/v1/api/connections',
      '/v1/api/callbacks?state=all',
      '/v1/api/inbound-messages',
    ]) {
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
    expect(page.body.functions[0]).toMatchObject({
      name: 'check_calendar_availability',
      args: { date: '2026-03-03' },
      result: { message: 'Tuesday at 2 PM is free' },
    });
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
    const refused = await staffB.request('POST', '/v1/api/messages', {
      client: CLIENT_B,
      channel: 'sms',
      customerId: b.customerId,
      body: 'Your documents are ready',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/opted out/);
    const marketing = await staffB.request('POST', '/v1/api/messages', {
      client: CLIENT_B,
      channel: 'sms',
      customerId: b.customerId,
      body: 'Promo',
      purpose: 'marketing',
      overrideConsent: true,
    });
    expect(marketing.status).toBe(409);
    const overridden = await staffB.request('POST', '/v1/api/messages', {
      client: CLIENT_B,
      channel: 'sms',
      customerId: b.customerId,
      body: 'Your documents are ready',
      overrideConsent: true,
    });
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
    const audit = await app.context.db
      .selectFrom('audit')
      .selectAll()
      .where('action', '=', 'customer.edit')
      .where('client_id', '=', CLIENT_B)
      .executeTakeFirstOrThrow();
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
      ['GET', '/v1/api/audit?from=yesterday', undefined],
      ['GET', '/v1/api/audit?to=2026-02-30', undefined],
      ['GET', '/v1/api/audit?zone=Mars%2FOlympus', undefined],
      ['GET', '/v1/api/audit?action=DROP%20TABLE', undefined],
      ['GET', '/v1/api/audit?before=2026-03-02&beforeId=x', undefined],
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
    expect(open.body.callbacks).toEqual([
      expect.objectContaining({
        id: b.callbackId,
        reason: 'Wants to talk about an extension',
        status: 'open',
        preferredTime: 'mornings',
        appointmentId: null,
        note: null,
        notedAt: null,
      }),
    ]);
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
  describe('audit log (Activity)', () => {
    type Entry = { id: number; at: string; actor: string; clientId: string | null; action: string; target: string | null; before: any; after: any };
    const entries = async (api: Api, path: string): Promise<Entry[]> => {
      const response = await api.request('GET', path);
      expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
      return response.body.entries;
    };

    it('shows an edit with who did it and the values before and after, newest first', async () => {
      app.clock.advance(60_000);
      const edited = await staffA.request('PATCH', `/v1/api/customers/${a.customerId}`, { name: 'Audit Trail', notes: 'Call after 5' });
      expect(edited.status).toBe(200);
      const [newest] = await entries(staffA, `/v1/api/audit?client=${CLIENT_A}`);
      expect(newest).toMatchObject({
        actor: staffAEmail,
        clientId: CLIENT_A,
        action: 'customer.edit',
        target: `customer:${a.customerId}`,
        before: { name: `Caller of ${CLIENT_A}` },
        after: { name: 'Audit Trail', notes: 'Call after 5' },
        at: app.clock.now().toISOString(),
      });
    });

    it("shows staff only their own office's rows, and admins every row including those of no office", async () => {
      app.clock.advance(60_000);
      const composed = await staffB.request('POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', to: '+16025550188', body: 'See you Tuesday' });
      expect(composed.status).toBe(201);
      const cancelled = await staffB.request('POST', `/v1/api/messages/${composed.body.message.id}/cancel`, {});
      expect(cancelled.status).toBe(200);

      const ownB = await entries(staffB, '/v1/api/audit');
      expect(ownB.length).toBeGreaterThan(0);
      expect(ownB.every((entry) => entry.clientId === CLIENT_B)).toBe(true);
      expect(JSON.stringify(ownB)).not.toContain(CLIENT_A);
      expect(ownB[0]).toMatchObject({
        actor: staffBEmail,
        action: 'message.cancel',
        target: `outbox:${composed.body.message.id}`,
        before: { status: 'scheduled' },
        after: { status: 'cancelled' },
      });
      // Like the Messages screen, the office's own staff see the recipient as stored.
      expect(ownB[1]).toMatchObject({ action: 'message.compose', after: { to: '+16025550188', body: 'See you Tuesday' } });
      expect((await staffB.request('GET', `/v1/api/audit?client=${CLIENT_A}`)).status).toBe(404);
      expect((await staffB.request('GET', `/v1/api/audit?client=${CLIENT_A}&action=customer.edit`)).body.entries).toBeUndefined();

      const ownA = await entries(staffA, '/v1/api/audit?limit=200');
      expect(ownA.some((entry) => entry.action === 'customer.edit')).toBe(true);
      expect(ownA.every((entry) => entry.clientId === CLIENT_A)).toBe(true);

      const all = await entries(admin, '/v1/api/audit?limit=200');
      const clients = new Set(all.map((entry) => entry.clientId));
      // Every office served (each has its import recorded) and the rows of no office.
      expect(clients).toEqual(new Set([...app.context.clients.all().map((runtime) => runtime.config.slug), null]));
      expect(clients).toContain(CLIENT_A);
      expect(clients).toContain(CLIENT_B);
      expect(all.find((entry) => entry.clientId === null)).toMatchObject({ action: 'session.login', target: expect.stringMatching(/^user:\d+$/) });
      const onlyA = await entries(admin, `/v1/api/audit?client=${CLIENT_A}&limit=200`);
      expect(onlyA.length).toBeGreaterThan(0);
      expect(onlyA.every((entry) => entry.clientId === CLIENT_A)).toBe(true);
    });

    it('filters by who (e-mail or user id), by action or kind of action, and by date range', async () => {
      const byEmail = await entries(admin, `/v1/api/audit?actor=${encodeURIComponent(staffBEmail.toUpperCase())}&limit=200`);
      expect(byEmail.length).toBeGreaterThan(1);
      expect(byEmail.every((entry) => entry.actor === staffBEmail)).toBe(true);
      const user = await app.context.db.selectFrom('users').select('id').where('email', '=', staffBEmail).executeTakeFirstOrThrow();
      expect((await entries(admin, `/v1/api/audit?actor=${user.id}&limit=200`)).map((entry) => entry.id)).toEqual(byEmail.map((entry) => entry.id));
      expect(await entries(admin, '/v1/api/audit?actor=999999')).toEqual([]);
      expect(await entries(admin, '/v1/api/audit?actor=nobody%40example.com')).toEqual([]);

      const edits = await entries(admin, '/v1/api/audit?action=customer.edit&limit=200');
      expect(edits.length).toBeGreaterThan(0);
      expect(edits.every((entry) => entry.action === 'customer.edit')).toBe(true);
      const messages = await entries(admin, `/v1/api/audit?client=${CLIENT_B}&action=message&limit=200`);
      expect(messages.map((entry) => entry.action)).toEqual(expect.arrayContaining(['message.cancel', 'message.compose']));
      expect(messages.every((entry) => entry.action.startsWith('message.'))).toBe(true);

      const now = app.clock.now();
      const today = DateTime.fromJSDate(now, { zone: 'America/Phoenix' }).toISODate()!;
      const tomorrow = DateTime.fromJSDate(now, { zone: 'America/Phoenix' }).plus({ days: 1 }).toISODate()!;
      const cancelled = await entries(admin, `/v1/api/audit?client=${CLIENT_B}&action=message.cancel`);
      expect(cancelled).toHaveLength(1);
      const day = await entries(admin, `/v1/api/audit?client=${CLIENT_B}&action=message.cancel&from=${today}&to=${today}&zone=America%2FPhoenix`);
      expect(day.map((entry) => entry.id)).toEqual([cancelled[0]!.id]);
      expect(await entries(admin, `/v1/api/audit?client=${CLIENT_B}&from=${tomorrow}&zone=America%2FPhoenix`)).toEqual([]);
      expect(await entries(admin, `/v1/api/audit?to=2026-01-01`)).toEqual([]);
      const at = encodeURIComponent(cancelled[0]!.at);
      expect((await entries(admin, `/v1/api/audit?action=message.cancel&client=${CLIENT_B}&from=${at}&to=${at}`)).map((entry) => entry.id)).toEqual([
        cancelled[0]!.id,
      ]);
      const later = encodeURIComponent(new Date(now.getTime() + 1).toISOString());
      expect(await entries(admin, `/v1/api/audit?from=${later}`)).toEqual([]);
    });

    it('pages newest first without gaps or repeats, also when many rows share one moment', async () => {
      // The test clock stands still, so these five rows share one timestamp: paging must still visit each once.
      for (let index = 0; index < 5; index += 1) {
        await writeAudit(app.context.db, app.clock, { actor: 'pager@example.com', clientId: CLIENT_B, action: 'test.page', target: `n:${index}` });
      }
      const everything = await entries(admin, `/v1/api/audit?client=${CLIENT_B}&limit=200`);
      const seen: number[] = [];
      let path = `/v1/api/audit?client=${CLIENT_B}&limit=2`;
      for (let pages = 0; pages < 100; pages += 1) {
        const response = await admin.request('GET', path);
        expect(response.body.entries.length).toBeLessThanOrEqual(2);
        seen.push(...response.body.entries.map((entry: Entry) => entry.id));
        if (!response.body.next) break;
        path = `/v1/api/audit?client=${CLIENT_B}&limit=2&before=${encodeURIComponent(response.body.next.before)}&beforeId=${response.body.next.beforeId}`;
      }
      expect(seen).toEqual(everything.map((entry) => entry.id));
      const times = everything.map((entry) => entry.at);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('never answers with a password hash or a token, whatever the stored values hold', async () => {
      const now = app.clock.now();
      const sealed = 'SEALEDtoken0123456789abcdef';
      const link = `${app.url}/v1/unsubscribe/${sealed}`;
      const row = await app.context.db
        .insertInto('outbox')
        .values({
          client_id: CLIENT_B,
          kind: 'email',
          payload: json({
            to: 'dana@example.com',
            subject: 'Tax tips',
            text: `Hello\n\nUnsubscribe: ${link}`,
            unsubscribeUrl: link,
            purpose: 'marketing',
            template: 'manual',
            sequence: 'manual',
          }),
          status: 'dead',
          run_at: now,
          attempts: 3,
          max_attempts: 3,
          retry_interval_ms: 60_000,
          dedupe_key: `email:secret-check:${backend}`,
          last_error: 'Mailbox full',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const retried = await staffB.request('POST', `/v1/api/messages/${row.id}/retry`, { body: 'Hello again' });
      expect(retried.status).toBe(200);
      const hashes = await app.context.db.selectFrom('users').select('password_hash').execute();
      // A change recorded with credentials in it (say, a future account screen) still shows none of them.
      await writeAudit(app.context.db, app.clock, {
        actor: adminEmail,
        clientId: null,
        action: 'user.edit',
        target: 'user:1',
        before: { email: 'old@example.com', password_hash: hashes[0]!.password_hash },
        after: {
          email: 'new@example.com',
          passwordHash: 'scrypt$new',
          session: { token: 'tok_abcdef123456' },
          link: `${app.url}/v1/oauth/zoho/callback?code=1000.abc&state=xyz`,
        },
      });

      const forStaff = await entries(staffB, `/v1/api/audit?action=message.edit_and_retry`);
      expect(forStaff[0]).toMatchObject({
        target: `outbox:${row.id}`,
        before: { status: 'dead', payload: { to: 'dana@example.com', unsubscribeUrl: '[redacted]' } },
        after: { payload: { text: expect.stringMatching(/^Hello again\n/) } },
      });
      expect(forStaff[0]!.before.payload.text).toContain('/v1/unsubscribe/[redacted]');
      // The edited marketing text keeps its unsubscribe link (CAN-SPAM), redacted here like the one it replaced.
      expect(forStaff[0]!.after.payload.text).toContain('/v1/unsubscribe/[redacted]');
      const forAdmin = JSON.stringify(await admin.request('GET', '/v1/api/audit?limit=200'));
      for (const secret of [sealed, 'scrypt$', 'tok_abcdef123456', '1000.abc', ...hashes.map((user) => user.password_hash)]) {
        expect(forAdmin).not.toContain(secret);
      }
      expect(forAdmin).toContain('new@example.com');
      expect(forAdmin).toContain('state=xyz');
    });
  });

  // After the Activity tests: these add rows of no office to the audit log.
  describe('authorisation matrix of admin-only routes: anonymous 401, staff of A or B 403, admin allowed', () => {
    it.each(ADMIN_ROUTES.map((route) => [`${route.method} ${route.path(0)}`, route] as const))('%s', async (_name, route) => {
      const staffAId = (await app.context.db.selectFrom('users').select('id').where('email', '=', staffAEmail).executeTakeFirstOrThrow()).id;
      const auditBefore = (await app.context.db.selectFrom('audit').select('id').where('action', 'like', 'user.%').execute()).length;
      expect((await apiFor(app).request(route.method, route.path(staffAId), route.body)).status).toBe(401);
      for (const staff of [staffA, staffB]) {
        const refused = await staff.request(route.method, route.path(staffAId), route.body);
        expect(refused.status).toBe(403);
        expect(refused.body.message).toMatch(/Only an admin/);
      }
      expect((await app.context.db.selectFrom('audit').select('id').where('action', 'like', 'user.%').execute()).length).toBe(auditBefore);
      const allowed = await admin.request(route.method, route.path(staffAId), route.body);
      expect(route.adminStatus, JSON.stringify(allowed.body)).toContain(allowed.status);
    });

    it.each(PUBLIC_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s (public)', async (_name, route) => {
      for (const api of [apiFor(app), staffA, admin]) expect((await api.request(route.method, route.path, route.body)).status).toBe(404);
    });
  });
});
