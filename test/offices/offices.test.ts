/**
 * Offices as live data: versions saved through the dashboard API are served at once without a restart (and by
 * every instance on PostgreSQL within 2 s), invalid documents are refused with every problem, staff edit only
 * templates and hours, credentials are write-only, a broken office never stops the others, and office files
 * are imported only when they changed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'retell-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../src/db/json.js';
import { aUser, signIn, type Api } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, openTestDatabase } from '../support/databases.js';

const SLUG = 'desert-bookkeeping';

function original(): Record<string, unknown> {
  return JSON.parse(readFileSync(`config/clients/${SLUG}.json`, 'utf8')) as Record<string, unknown>;
}

async function inbound(app: TestApp, key: string): Promise<number> {
  const body = JSON.stringify({
    event: 'call_inbound',
    call_inbound: { agent_id: 'agent_desert_demo_0001', from_number: '+16025550199', to_number: '+16025550117' },
  });
  const response = await fetch(`${app.url}/v1/retell/${SLUG}/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(body, key) },
    body,
  });
  return response.status;
}

describe.each(BACKENDS)('offices as data (%s)', (kind) => {
  let app: TestApp;
  let admin: Api;
  let staff: Api;
  const answers: string[] = [];
  const record = async (api: Api, method: string, path: string, body?: unknown) => {
    const result = await api.request(method, path, body);
    answers.push(JSON.stringify(result.body ?? ''));
    return result;
  };

  beforeAll(async () => {
    app = await startTestApp(kind);
    admin = await signIn(app, await aUser(app, 'admin'));
    staff = await signIn(app, await aUser(app, 'staff', [SLUG]));
  });
  afterAll(async () => {
    await app.dispose();
  });

  it('serves a saved version at once, records who changed what, and rolls back as a new version', async () => {
    const before = await record(admin, 'GET', `/v1/api/offices/${SLUG}`);
    expect(before.status).toBe(200);
    const document = { ...before.body.document, name: 'Desert Bookkeeping & Payroll' };
    const saved = await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, { document, expectedVersion: before.body.version });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(before.body.version + 1);
    expect(saved.body.changes).toEqual([{ path: 'name', before: 'Desert Bookkeeping', after: 'Desert Bookkeeping & Payroll' }]);
    expect(app.context.clients.get(SLUG)?.config.name).toBe('Desert Bookkeeping & Payroll');
    expect(app.context.clients.get(SLUG)?.version).toBe(saved.body.version);

    const stale = await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, { document, expectedVersion: before.body.version });
    expect(stale.status).toBe(409);

    const audit = await record(admin, 'GET', `/v1/api/audit?client=${SLUG}&action=office.update`);
    expect(audit.body.entries[0]).toMatchObject({
      action: 'office.update',
      before: { name: 'Desert Bookkeeping' },
      after: { name: 'Desert Bookkeeping & Payroll' },
    });

    const rolled = await record(admin, 'POST', `/v1/api/offices/${SLUG}/rollback`, { version: before.body.version });
    expect(rolled.status).toBe(200);
    expect(rolled.body.version).toBe(saved.body.version + 1);
    expect(app.context.clients.get(SLUG)?.config.name).toBe('Desert Bookkeeping');
    const versions = await record(admin, 'GET', `/v1/api/offices/${SLUG}/versions`);
    expect(versions.body.versions.map((v: { version: number; source: string; current: boolean }) => [v.version, v.source, v.current])).toEqual([
      [rolled.body.version, 'rollback', true],
      [saved.body.version, 'dashboard', false],
      [before.body.version, 'file', false],
    ]);
  });

  it('refuses an invalid office with every problem as a path and a reason, and keeps serving the old version', async () => {
    const current = await record(admin, 'GET', `/v1/api/offices/${SLUG}`);
    const document = {
      ...current.body.document,
      timezone: 'Mars/Olympus',
      businessHours: { ...(current.body.document.businessHours as object), monday: [{ open: '17:00', close: '08:00' }] },
      retell: { agentIds: ['agent_stn_demo_0001'] },
    };
    const refused = await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, { document });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_office');
    expect(refused.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['businessHours.monday[0]', 'timezone']);
    // Cross-office rules are checked once the document itself is valid.
    const stolen = await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, {
      document: { ...current.body.document, retell: { agentIds: ['agent_stn_demo_0001'] } },
    });
    expect(stolen.status).toBe(400);
    expect(stolen.body.problems).toEqual([{ path: 'retell.agentIds[0]', message: expect.stringContaining('smart-tax-nation') }]);
    expect(app.context.clients.get(SLUG)?.version).toBe(current.body.version);
  });

  it('lets staff edit templates and hours of their office, not senders, credentials or other offices', async () => {
    const current = await record(staff, 'GET', `/v1/api/offices/${SLUG}`);
    expect(current.status).toBe(200);
    const doc = current.body.document;
    const hours = { ...doc, businessHours: { ...doc.businessHours, friday: [{ open: '08:00', close: '13:00' }] } };
    expect((await record(staff, 'PUT', `/v1/api/offices/${SLUG}`, { document: hours })).status).toBe(200);
    expect(app.context.clients.get(SLUG)?.config.businessHours.friday).toEqual([{ open: '08:00', close: '13:00' }]);
    const senders = { ...hours, senders: { ...doc.senders, sms: { from: '+16025550177' } } };
    const refused = await record(staff, 'PUT', `/v1/api/offices/${SLUG}`, { document: senders });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('senders');
    expect((await record(staff, 'PUT', `/v1/api/offices/${SLUG}/secrets/twilioAuthToken`, { value: 'x'.repeat(32) })).status).toBe(403);
    expect((await record(staff, 'GET', '/v1/api/offices/smart-tax-nation')).status).toBe(404);
    const list = await record(staff, 'GET', '/v1/api/offices');
    expect(list.body.offices.map((office: { slug: string }) => office.slug)).toEqual([SLUG]);
  });

  it('stores a credential sealed and write-only: used at once, never shown back, audited as changed', async () => {
    const secret = 'key_live_office_specific_7f3a9c2e5b8d';
    expect(await inbound(app, 'key_demo_switchboard_retell_0001')).toBe(200);
    const set = await record(admin, 'PUT', `/v1/api/offices/${SLUG}/secrets/retellApiKey`, { value: secret });
    expect(set.status).toBe(204);
    expect(await inbound(app, secret)).toBe(200);
    expect(await inbound(app, 'key_demo_switchboard_retell_0001')).toBe(401);
    const office = await record(admin, 'GET', `/v1/api/offices/${SLUG}`);
    expect(office.body.secrets.find((entry: { name: string }) => entry.name === 'retellApiKey')).toMatchObject({ stored: true });
    await record(admin, 'GET', `/v1/api/audit?client=${SLUG}`);
    await record(admin, 'GET', `/v1/api/offices/${SLUG}/versions`);

    const tables = await app.context.db.selectFrom('client_secrets').selectAll().execute();
    const audit = await app.context.db.selectFrom('audit').selectAll().execute();
    const versions = await app.context.db.selectFrom('client_versions').selectAll().execute();
    for (const text of [...answers, JSON.stringify(tables), JSON.stringify(audit), JSON.stringify(versions)]) expect(text).not.toContain(secret);
    expect(audit.some((row) => row.action === 'office.secret' && JSON.stringify(row.after) === '{"retellApiKey":"changed"}')).toBe(true);

    expect((await record(admin, 'DELETE', `/v1/api/offices/${SLUG}/secrets/retellApiKey`)).status).toBe(204);
    expect(await inbound(app, 'key_demo_switchboard_retell_0001')).toBe(200);
  });

  it('marks an office whose stored version cannot be served as broken, keeps its last good version, and the others serve on', async () => {
    const served = app.context.clients.get(SLUG)!.version!;
    const [row] = await app.context.db.selectFrom('client_versions').select('document').where('client_id', '=', SLUG).where('version', '=', served).execute();
    const broken = { ...row!.document, appointmentTypes: [] };
    await app.context.db
      .insertInto('client_versions')
      .values({ client_id: SLUG, version: served + 100, document: json(broken), author: 'test', source: 'cli', diff: json([]) })
      .execute();
    await app.context.db
      .updateTable('clients')
      .set({ current_version: served + 100 })
      .where('id', '=', SLUG)
      .execute();
    await app.context.offices!.reload(SLUG);

    // Check details (which office, what is wrong) are for signed-in admins.
    const ready = (await admin.request('GET', '/readyz')).body as { checks: Array<{ name: string; status: string; detail: string }> };
    const offices = ready.checks.find((check) => check.name === 'offices');
    expect(offices?.status).toBe('degraded');
    expect(offices?.detail).toContain(`${SLUG}: appointmentTypes: needs at least one appointment type`);
    expect(app.context.clients.get(SLUG)?.version).toBe(served);
    expect(await inbound(app, 'key_demo_switchboard_retell_0001')).toBe(200);
    const list = await record(admin, 'GET', '/v1/api/offices');
    expect(list.body.offices.find((office: { slug: string }) => office.slug === SLUG).status).toBe('broken');
    expect(list.body.offices.find((office: { slug: string }) => office.slug === 'smart-tax-nation').status).toBe('ok');
    // Fixing it (a new version) clears the mark.
    const fixed = await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, { document: row!.document });
    expect(fixed.status).toBe(200);
    expect(app.context.clients.broken()).toEqual([]);
  });

  it('answers 400, never 500, for a document that is not an object or a slug that is not one', async () => {
    expect((await record(admin, 'PUT', `/v1/api/offices/${SLUG}`, { document: 'nope' })).status).toBe(400);
    expect((await record(admin, 'PUT', '/v1/api/offices/Not%20A%20Slug', { document: {} })).status).toBe(400);
    expect((await record(admin, 'POST', '/v1/api/offices', { document: { slug: 'x' } })).status).toBe(400);
    expect((await record(admin, 'POST', '/v1/api/offices', { document: original() })).status).toBe(409);
  });
});

describe('office files are an import format', () => {
  it('imports a file when it changed since its last import, and keeps a dashboard edit while the file is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-offices-'));
    writeFileSync(join(dir, `${SLUG}.json`), JSON.stringify(original(), null, 2));
    const database = await openTestDatabase('pglite');
    try {
      const first = await startTestApp('pglite', { database, env: { CONFIG_DIR: dir } });
      const admin = await signIn(first, await aUser(first, 'admin'));
      const office = await admin.request('GET', `/v1/api/offices/${SLUG}`);
      expect(office.body.version).toBe(1);
      await admin.request('PUT', `/v1/api/offices/${SLUG}`, { document: { ...office.body.document, address: '1 Dashboard Way, Phoenix, AZ 85004' } });
      await first.close();

      const second = await startTestApp('pglite', { database, env: { CONFIG_DIR: dir } });
      expect(second.context.clients.get(SLUG)?.config.address).toBe('1 Dashboard Way, Phoenix, AZ 85004');
      await second.close();

      writeFileSync(join(dir, `${SLUG}.json`), JSON.stringify({ ...original(), address: '9 File Street, Phoenix, AZ 85004' }, null, 2));
      const third = await startTestApp('pglite', { database, env: { CONFIG_DIR: dir } });
      expect(third.context.clients.get(SLUG)?.config.address).toBe('9 File Street, Phoenix, AZ 85004');
      expect(third.context.clients.get(SLUG)?.version).toBe(3);
      await third.close();
    } finally {
      await database.dispose();
    }
  });
});

describe('two instances on one PostgreSQL', () => {
  it('a change saved on one instance is served by the other within 2 seconds', async () => {
    const database = await openTestDatabase('postgres');
    const { openDatabase } = await import('../../src/db/database.js');
    const second = await openDatabase({ url: database.url!, poolSize: 4 });
    const a = await startTestApp('postgres', { database });
    const b = await startTestApp('postgres', { database: Object.assign(second, { dispose: () => second.close() }) });
    try {
      const admin = await signIn(a, await aUser(a, 'admin'));
      const office = await admin.request('GET', `/v1/api/offices/${SLUG}`);
      const started = Date.now();
      const saved = await admin.request('PUT', `/v1/api/offices/${SLUG}`, { document: { ...office.body.document, name: 'Desert Books (from A)' } });
      expect(saved.status).toBe(200);
      const changed = new Promise<void>((resolve) => {
        const stop = b.context.clients.subscribe((slug, _change, runtime) => {
          if (slug === SLUG && runtime?.config.name === 'Desert Books (from A)') {
            stop();
            resolve();
          }
        });
        if (b.context.clients.get(SLUG)?.config.name === 'Desert Books (from A)') resolve();
      });
      await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('instance B did not reload within 2 s')), 2_000))]);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(b.context.clients.get(SLUG)?.version).toBe(saved.body.version);
    } finally {
      await b.close();
      await second.close();
      await a.dispose();
    }
  });
});
