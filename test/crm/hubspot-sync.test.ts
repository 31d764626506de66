/**
 * Issue 20: an office whose CRM is HubSpot. The same sync rules as Zoho CRM (src/crm/sync.ts) through the HubSpot
 * module's port and the HubSpot emulator: one contact per caller, one note per call, nothing twice after a lost
 * answer or a repeated request, and the office's readiness naming the CRM it chose.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { checkCrmConnection } from '../../src/crm/token-health.js';
import type { Switchboard } from '../../src/main.js';
import type { HubSpotEmulator } from '../../src/sandbox/hubspot/index.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CLIENT, MINUTE, aCall, aCaller, adminCookie, outboxRow, requestSync, startApp, type CrmWorld } from './support.js';

function hubSpotOfficeDir(): string {
  const document = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')) as Record<string, unknown>;
  return aConfigDir({
    [CLIENT]: { ...document, crm: { provider: 'hubspot' }, hubspot: { propertyMap: { lastCallIntent: 'last_call_intent', smsOptOut: 'sms_opt_out' } } },
  });
}

describe.each(BACKENDS)('CRM sync to HubSpot on %s', (kind) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let switchboard: Switchboard;
  let hubspot: HubSpotEmulator;
  const alerts: AlertInput[] = [];
  let world: CrmWorld;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    clock = new ManualClock('2026-02-02T15:00:00Z');
    switchboard = await startApp(database, clock, alerts, { CONFIG_DIR: hubSpotOfficeDir() });
    hubspot = switchboard.context.sandbox!.hubspot;
    world = { database, clock, switchboard, zoho: switchboard.context.sandbox!.zoho, alerts };
  });
  afterAll(async () => {
    await switchboard?.close();
    await database?.dispose();
  });
  beforeEach(async () => {
    for (const table of ['crm_links', 'crm_notes', 'crm_connection_health', 'outbox_attempts', 'outbox', 'calls', 'customers'] as const) {
      await database.db.deleteFrom(table).execute();
    }
    hubspot.reset();
    hubspot.searchLagMs = 3_000;
    alerts.length = 0;
  });

  const drain = () => switchboard.worker.drain();

  it('a new caller becomes one HubSpot contact (stand-in name, phone, status, mapped properties) with one note; Zoho CRM is not called', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller, { outcome: 'info_only', summary: 'Asked about an extension; read out SSN 123-45-6789.' });
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await drain();

    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'done' });
    const contacts = hubspot.contactList();
    expect(contacts).toHaveLength(1);
    expect(contacts[0]!.properties).toMatchObject({
      lastname: 'Unknown caller +1…0102',
      phone: '+14155550102',
      hs_lead_status: 'CONNECTED',
      last_call_intent: 'extension question',
      sms_opt_out: 'false',
    });
    const notes = hubspot.notes(contacts[0]!.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain(`Switchboard call: ${call.id}`);
    expect(notes[0]!.body).toContain('Asked about an extension');
    expect(notes[0]!.body).not.toContain('123-45-6789');
    expect(notes[0]!.timestamp).toBe(clock.now().toISOString());
    expect(world.zoho.emulator.received('/crm/v8/')).toEqual([]);
    const link = await database.db.selectFrom('crm_links').selectAll().executeTakeFirstOrThrow();
    expect(link).toMatchObject({ lead_id: contacts[0]!.id, lead_status: 'CONNECTED' });
  });

  it('a repeated request and a resync of a synced call add no second contact and no second note', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await drain();
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await requestSync(world, { purpose: 'resync', callId: call.id, customerId: caller.id, version: 'again' });
    await drain();
    expect(hubspot.contactList()).toHaveLength(1);
    expect(hubspot.notes()).toHaveLength(1);
  });

  it('a contact HubSpot created whose answer was lost is found on the retry, not created twice', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    hubspot.dropNextAnswer('contact');
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'failed' });
    expect(hubspot.contactList()).toHaveLength(1);

    clock.advance(MINUTE + 1_000);
    await drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'done' });
    expect(hubspot.contactList()).toHaveLength(1);
    expect(hubspot.notes()).toHaveLength(1);
  });

  it('a note HubSpot added whose answer was lost is not added again on the retry', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    hubspot.dropNextAnswer('note');
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'failed' });
    clock.advance(MINUTE + 1_000);
    await drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'done' });
    expect(hubspot.notes()).toHaveLength(1);
  });

  it('readiness names the CRM the office chose (hubspot-crm, no zoho-crm), and a revoked token is broken with one alert', async () => {
    const admin = await adminCookie(switchboard);
    const crmFor = (clientId: string) => switchboard.context.crms.portFor(clientId);
    expect(await checkCrmConnection(switchboard.context, crmFor, CLIENT)).toMatchObject({ status: 'ok' });
    const names = async () => {
      const body = (await (await fetch(`${switchboard.url}/readyz`, { headers: { cookie: admin } })).json()) as {
        checks: Array<{ name: string; status: string }>;
      };
      return body.checks;
    };
    const checks = await names();
    expect(checks.map((check) => check.name)).toEqual(expect.arrayContaining([`hubspot-crm:${CLIENT}`, `zoho:${CLIENT}`]));
    expect(checks.map((check) => check.name)).not.toContain(`zoho-crm:${CLIENT}`);

    hubspot.revokeToken();
    expect(await checkCrmConnection(switchboard.context, crmFor, CLIENT)).toMatchObject({ status: 'broken' });
    expect(await checkCrmConnection(switchboard.context, crmFor, CLIENT)).toMatchObject({ status: 'broken' });
    expect(alerts.filter((alert) => alert.source === 'hubspot.crm.health')).toHaveLength(1);
    expect((await names()).find((check) => check.name === `hubspot-crm:${CLIENT}`)).toMatchObject({ status: 'down' });

    // A sync meanwhile stops at once (the token must be replaced by a person), with one alert naming HubSpot.
    const caller = await aCaller(world);
    const queued = await requestSync(world, { purpose: 'call', callId: (await aCall(world, caller)).id, customerId: caller.id });
    await drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'dead' });
    expect(alerts.find((alert) => alert.source === 'crm.sync')?.message).toMatch(/^HubSpot sync for call/);
    hubspot.acceptToken(switchboard.context.clients.get(CLIENT)!.secrets.hubspotAccessToken!);
  });
});
