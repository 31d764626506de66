/**
 * Who may start the Zoho connect flow without a CLI link: a signed-in dashboard user who sees the office. The Zoho
 * module asks `context.signedInUser` (set by the dashboard module) instead of a guard the dashboard registered in a
 * hidden per-app map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aUser, signIn } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('starting the Zoho connection from the dashboard', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(async () => {
    await app?.dispose();
  });

  const start = (client: string, cookie?: string) =>
    fetch(`${app.url}/v1/oauth/zoho/start?client=${client}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  it('sends a signed-in staff member of the office on to Zoho, and refuses staff of another office and anonymous callers', async () => {
    const own = await signIn(app, await aUser(app, 'staff', ['smart-tax-nation']));
    const allowed = await start('smart-tax-nation', own.cookie);
    expect(allowed.status).toBe(302);
    expect(new URL(allowed.headers.get('location')!).pathname).toBe('/oauth/v2/auth');

    const other = await signIn(app, await aUser(app, 'staff', ['desert-bookkeeping']));
    expect((await start('smart-tax-nation', other.cookie)).status).toBe(401);
    expect((await start('smart-tax-nation')).status).toBe(401);
  });
});
