/**
 * Issue 14, item 5: where demo mode listens, who may read the sandbox views and readiness details, and that a
 * live server with SANDBOX=1 never accepts a request signed with a public demo key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'retell-sdk';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBanner } from '../../src/cli/banner.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSwitchboard, type Switchboard } from '../../src/main.js';
import { aUser, apiFor, signIn } from '../dashboard/support.js';
import { aCall, aCallId, webhookPath } from '../retell/support.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_PASSWORD_COST, startTestApp, testEnv, type TestApp } from '../support/app.js';

const CLIENT = 'smart-tax-nation';

describe('where demo mode listens', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('binds 127.0.0.1 when HOST is unset, and the banner says so', async () => {
    const app = await startTestApp('pglite', { env: { HOST: undefined }, database });
    try {
      const address = app.app.server.address();
      expect(address).toMatchObject({ address: '127.0.0.1' });
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(startBanner(app)).toMatch(/Listening: +127\.0\.0\.1:\d+ \(this computer only; set HOST=0\.0\.0\.0/);
    } finally {
      await app.dispose();
    }
  });

  it('binds where HOST says, and the banner warns that the public demo keys are then reachable', async () => {
    const app = await startTestApp('pglite', { env: { HOST: '0.0.0.0' }, database });
    try {
      expect(app.app.server.address()).toMatchObject({ address: '0.0.0.0' });
      expect(startBanner(app)).toMatch(
        /Listening: +0\.0\.0\.0:\d+ \(every network interface: anyone who can reach it may sign requests with the public demo keys\)/,
      );
    } finally {
      await app.dispose();
    }
  });
});

describe.each(BACKENDS)('sandbox views and readiness details (%s)', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('answers /v1/sandbox/* only to a signed-in user who sees every office', async () => {
    const anonymous = await fetch(`${app.url}/v1/sandbox/zoho/leads`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/Sign in/) });

    const staff = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    expect((await staff.request('GET', '/v1/sandbox/zoho/leads')).status).toBe(403);

    const admin = await signIn(app, await aUser(app, 'admin'));
    const leads = await admin.request('GET', '/v1/sandbox/zoho/leads');
    expect(leads.status).toBe(200);
    expect(leads.body).toHaveProperty('leads');
  });

  it('keeps /readyz details (database location, check messages) for signed-in admins', async () => {
    const anonymous = await fetch(`${app.url}/readyz`);
    expect(anonymous.status).toBe(200);
    const body = (await anonymous.json()) as { status: string; checks: Array<Record<string, unknown>> };
    expect(body.checks.find((check) => check.name === 'database')).toEqual({ name: 'database', critical: true, status: 'ok' });
    expect(body.checks.every((check) => !('detail' in check))).toBe(true);

    const staff = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    expect(JSON.stringify((await staff.request('GET', '/readyz')).body)).not.toContain(app.context.database.location);

    const admin = await signIn(app, await aUser(app, 'admin'));
    const detailed = await admin.request('GET', '/readyz');
    expect(detailed.body.checks.find((check: { name: string }) => check.name === 'database').detail).toBe(app.context.database.location);
  });
});

describe('readiness of a server on a data directory', () => {
  let dataDir: string;
  let server: Switchboard;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sb-readyz-'));
    server = await startSwitchboard({
      env: { ...testEnv, DATA_DIR: dataDir },
      logger: silentLogger(),
      clock: new ManualClock('2026-03-02T15:00:00Z'),
      worker: false,
      passwordCost: TEST_PASSWORD_COST,
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells an anonymous caller no filesystem path', async () => {
    const text = await (await fetch(`${server.url}/readyz`)).text();
    expect(JSON.parse(text)).toMatchObject({ status: 'ok', mode: 'demo' });
    expect(text).not.toContain(dataDir);
    expect(text).not.toMatch(/"\/(tmp|home|var|data|work)\//);
  });
});

describe.each(BACKENDS)('live mode with SANDBOX=1 and no vendor credentials (%s)', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend, {
      env: { SWITCHBOARD_MODE: 'live', SANDBOX: '1', SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64') },
    });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  const retellEvent = async (key: string) => {
    const raw = JSON.stringify({ event: 'call_started', call: aCall({ call_id: aCallId() }) });
    return fetch(`${app.url}${webhookPath(CLIENT)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(raw, key) },
      body: raw,
    });
  };

  it("refuses a Retell webhook signed with the public demo key (401), and accepts one signed with the process's own key", async () => {
    const secrets = app.context.clients.get(CLIENT)!.secrets;
    expect(secrets.emulatedVendors).toContain('retell');
    expect(secrets.retellApiKey).not.toBe(DEMO_SECRETS.RETELL_API_KEY);

    const demoSigned = await retellEvent(DEMO_SECRETS.RETELL_API_KEY);
    expect(demoSigned.status).toBe(401);
    expect((await retellEvent(secrets.retellApiKey)).status).toBe(200);
  });

  it('refuses a Twilio callback signed with the public demo auth token (401)', async () => {
    const path = `/v1/twilio/${CLIENT}/status`;
    const form = { MessageSid: `SM${randomBytes(16).toString('hex')}`, MessageStatus: 'delivered' };
    const post = (token: string) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(token, `${app.context.publicBaseUrl}${path}`, form),
        },
        body: new URLSearchParams(form).toString(),
      });
    expect((await post(DEMO_SECRETS.TWILIO_AUTH_TOKEN)).status).toBe(401);
    expect((await post(app.context.clients.get(CLIENT)!.secrets.twilioAuthToken)).status).not.toBe(401);
  });

  it('starts the in-process emulators with the same per-process credentials, and mounts no sandbox view', async () => {
    const sandbox = app.context.sandbox!;
    expect(sandbox.twilio.accountSid).toBe(app.context.clients.get(CLIENT)!.secrets.twilioAccountSid);
    expect(sandbox.twilio.accountSid).not.toBe(DEMO_SECRETS.TWILIO_ACCOUNT_SID);
    expect((await apiFor(app).request('GET', '/v1/sandbox/zoho/leads')).status).toBe(404);
  });
});
