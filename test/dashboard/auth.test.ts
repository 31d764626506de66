import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_ADMIN_EMAIL } from '../../src/dashboard/first-admin.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, PASSWORD, aUser, apiFor, signIn } from './support.js';

describe.each(BACKENDS)('dashboard sign-in and sessions (%s)', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('creates a first admin on an empty database and puts its one-time password only in the start-up notes', async () => {
    const note = app.context.startupNotes?.find((line) => line.includes(FIRST_ADMIN_EMAIL));
    expect(note).toBeDefined();
    const password = note!.split(' / ')[1]!;
    const api = await signIn(app, FIRST_ADMIN_EMAIL, password);
    const me = await api.request('GET', '/v1/api/me');
    expect(me.body.user).toMatchObject({ email: FIRST_ADMIN_EMAIL, role: 'admin' });
    expect(me.body.clients.map((client: { id: string }) => client.id).sort()).toEqual([
      'desert-bookkeeping',
      'harbor-law',
      'riverside-physio',
      'smart-tax-nation',
    ]);
  });

  it('stores only a scrypt hash of the password and only a hash of the session token', async () => {
    const email = await aUser(app, 'staff', [CLIENT_A]);
    const api = await signIn(app, email);
    const user = await app.context.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.password_hash.startsWith('scrypt$')).toBe(true);
    expect(user.password_hash).not.toContain(PASSWORD);
    const token = api.cookie!.split('=')[1]!;
    const sessions = await app.context.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.token_hash).not.toBe(token);
  });

  it('sets an HttpOnly SameSite=Strict cookie, not Secure over plain http', async () => {
    // Secure behind a trusted TLS proxy: test/dashboard/sign-in-limits.test.ts (TRUST_PROXY=1).
    const email = await aUser(app, 'staff', [CLIENT_A]);
    const plain = await apiFor(app).request('POST', '/v1/api/session', { email, password: PASSWORD });
    const plainCookie = plain.headers.get('set-cookie')!;
    expect(plainCookie).toMatch(/HttpOnly/i);
    expect(plainCookie).toMatch(/SameSite=Strict/i);
    expect(plainCookie).not.toMatch(/Secure/i);
  });

  it('answers a wrong password and an unknown e-mail the same way', async () => {
    const email = await aUser(app, 'staff', [CLIENT_A]);
    const wrong = await apiFor(app).request('POST', '/v1/api/session', { email, password: 'not the password' });
    const unknown = await apiFor(app).request('POST', '/v1/api/session', { email: 'nobody@example.com', password: 'whatever123' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('ends the session on logout, and the old cookie no longer works', async () => {
    const api = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    expect((await api.request('GET', '/v1/api/me')).status).toBe(200);
    const logout = await api.request('DELETE', '/v1/api/session');
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/sb_session=;/);
    expect((await api.request('GET', '/v1/api/me')).status).toBe(401);
  });

  it('expires a session after 12 idle hours but keeps an active one alive', async () => {
    const idle = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    const active = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    for (let hour = 0; hour < 4; hour += 1) {
      app.clock.advance(4 * 60 * 60 * 1000);
      expect((await active.request('GET', '/v1/api/me')).status).toBe(200);
    }
    const expired = await idle.request('GET', '/v1/api/me');
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/sign in again/);
  });

  it('refuses state-changing requests without the dashboard Origin (CSRF)', async () => {
    const api = await signIn(app, await aUser(app, 'admin'));
    const evil = await api.request('DELETE', '/v1/api/session', undefined, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    const missing = await fetch(`${app.url}/v1/api/session`, { method: 'DELETE', headers: { cookie: api.cookie! } });
    expect(missing.status).toBe(403);
    expect((await api.request('GET', '/v1/api/me')).status).toBe(200);
  });

  it('sends security headers with a strict Content-Security-Policy', async () => {
    const response = await apiFor(app).request('GET', '/v1/api/me');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers a malformed sign-in with 400 and a message', async () => {
    const response = await apiFor(app).request('POST', '/v1/api/session', { email: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.message).toBeTruthy();
  });

  it('locks an e-mail after 5 failed sign-ins (the limits in detail: sign-in-limits.test.ts)', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      statuses.push((await apiFor(app).request('POST', '/v1/api/session', { email: 'guess@example.com', password: `guess-${attempt}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await apiFor(app).request('POST', '/v1/api/session', { email: 'guess@example.com', password: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body.message).toMatch(/Too many failed sign-ins for this e-mail/);
  });
});
