import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSince, resyncCrm } from '../../src/crm/resync.js';
import { checkCrmConnection } from '../../src/crm/token-health.js';
import { BACKENDS } from '../support/databases.js';
import { CLIENT, MINUTE, aCall, aCaller, aCrmWorld, adminCookie, connectZoho, resetWorld, type CrmWorld } from './support.js';

describe.each(BACKENDS)('CRM connection health and resync on %s', (kind) => {
  let world: CrmWorld;
  let admin: string;

  beforeAll(async () => {
    world = await aCrmWorld(kind);
    admin = await adminCookie(world.switchboard);
  });
  afterAll(async () => {
    await world?.switchboard.close();
    await world?.database.dispose();
  });
  beforeEach(async () => {
    await resetWorld(world);
    await connectZoho(world.switchboard, world.zoho);
  });

  const check = () => checkCrmConnection(world.switchboard.context, (clientId) => world.switchboard.context.crms.portFor(clientId), CLIENT);
  const readyz = async () => {
    // Signed in as an admin: anonymous callers see no check details.
    const response = await fetch(`${world.switchboard.url}/readyz`, { headers: { cookie: admin } });
    const body = (await response.json()) as { checks: Array<{ name: string; status: string; detail?: string }> };
    return body.checks.find((entry) => entry.name === `zoho-crm:${CLIENT}`);
  };

  it('a healthy connection is ok in /readyz and raises nothing', async () => {
    expect(await check()).toMatchObject({ status: 'ok' });
    expect(await readyz()).toMatchObject({ status: 'ok' });
    expect(world.alerts).toHaveLength(0);
  });

  it('a connection without the CRM scope is broken in /readyz with one alert, before any sync fails', async () => {
    await connectZoho(world.switchboard, world.zoho, ['ZohoCalendar.calendar.ALL', 'ZohoCalendar.event.ALL']);
    expect(await check()).toMatchObject({ status: 'broken' });
    expect(await check()).toMatchObject({ status: 'broken' });
    expect(await readyz()).toMatchObject({ status: 'down', detail: expect.stringContaining('OAUTH_SCOPE_MISMATCH') });
    expect(world.alerts).toHaveLength(1);
    expect(world.alerts[0]).toMatchObject({ source: 'zoho.crm.health', severity: 'critical', clientId: CLIENT });
  });

  it('a revoked refresh token is reported broken once the access token runs out', async () => {
    world.zoho.revokeAll();
    world.clock.advance(61 * MINUTE);
    expect(await check()).toMatchObject({ status: 'broken' });
    expect(await readyz()).toMatchObject({ status: 'down' });
    expect(world.alerts.some((alert) => alert.source === 'zoho.crm.health')).toBe(true);
  });

  it('a rate-limited CRM is a warning (degraded), and recovery clears it', async () => {
    world.zoho.crmRateLimit(1);
    expect(await check()).toMatchObject({ status: 'warning' });
    expect(await readyz()).toMatchObject({ status: 'degraded' });
    expect(await check()).toMatchObject({ status: 'ok' });
    expect(await readyz()).toMatchObject({ status: 'ok' });
    expect(world.alerts).toHaveLength(1);
  });

  it('a changed API domain is a warning with an alert', async () => {
    await check();
    await world.database.db.updateTable('crm_connection_health').set({ api_domain: 'https://www.zohoapis.eu' }).execute();
    const health = await check();
    expect(health.status).toBe('warning');
    expect(health.detail).toContain('https://www.zohoapis.eu');
    expect(world.alerts).toHaveLength(1);
  });

  it('resync queues one sync per call since the given moment, and running it again queues nothing', async () => {
    const caller = await aCaller(world);
    const old = await aCall(world, caller);
    world.clock.advance(3 * 24 * 60 * MINUTE);
    const recent = await aCall(world, caller);
    const since = parseSince('2d', world.clock.now())!;
    const context = world.switchboard.context;

    expect(await resyncCrm(world.database.db, context, { clientId: CLIENT, since })).toEqual({ calls: 1, queued: 1, alreadyQueued: 0 });
    expect(await resyncCrm(world.database.db, context, { clientId: CLIENT, since })).toEqual({ calls: 1, queued: 0, alreadyQueued: 1 });
    await world.switchboard.worker.drain();
    expect(await resyncCrm(world.database.db, context, { clientId: CLIENT, since })).toEqual({ calls: 1, queued: 0, alreadyQueued: 1 });

    const rows = await world.database.db.selectFrom('outbox').select(['call_id', 'status']).where('kind', '=', 'crm_sync').execute();
    expect(rows).toEqual([{ call_id: recent.id, status: 'done' }]);
    expect(rows.some((row) => row.call_id === old.id)).toBe(false);
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
  });
});

describe('resync --since', () => {
  it('reads spans and dates, and refuses anything else', () => {
    const now = new Date('2026-02-10T12:00:00Z');
    expect(parseSince('7d', now)).toEqual(new Date('2026-02-03T12:00:00Z'));
    expect(parseSince('24h', now)).toEqual(new Date('2026-02-09T12:00:00Z'));
    expect(parseSince('90m', now)).toEqual(new Date('2026-02-10T10:30:00Z'));
    expect(parseSince('2026-02-01', now)).toEqual(new Date('2026-02-01T00:00:00Z'));
    expect(parseSince('last week', now)).toBeUndefined();
  });
});
