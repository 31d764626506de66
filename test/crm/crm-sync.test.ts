import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { retryOutboxRow } from '../../src/outbox/manage.js';
import { setConsent } from '../../src/customers/consent.js';
import { TOO_MANY_REQUESTS_BODY, startZohoEmulator } from '../../src/sandbox/zoho/index.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import type { AlertInput } from '../../src/alerts/types.js';
import { BACKENDS, openTestDatabase } from '../support/databases.js';
import {
  CLIENT,
  MINUTE,
  aCall,
  aCaller,
  aCrmWorld,
  adminCookie,
  anAppointment,
  connectZoho,
  drainWithRetries,
  outboxRow,
  requestSync,
  resetWorld,
  startApp,
  type CrmWorld,
} from './support.js';

describe.each(BACKENDS)('CRM sync on %s', (kind) => {
  let world: CrmWorld;

  beforeAll(async () => {
    world = await aCrmWorld(kind);
  });
  afterAll(async () => {
    await world?.switchboard.close();
    await world?.database.dispose();
  });
  beforeEach(async () => {
    await resetWorld(world);
  });

  const upserts = () => world.zoho.emulator.received('/crm/v8/Leads/upsert', 'POST').length;

  it('a new caller becomes a lead with a placeholder name, the configured source, status and fields, plus one note', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller, {
      summary: 'Caller read out SSN 123-45-6789 and asked about an extension.',
      outcome: 'info_only',
    });
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    expect((await outboxRow(world, queued.id)).status).toBe('done');
    const leads = world.zoho.leads();
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      Last_Name: 'Unknown caller +1…0102',
      Phone: '+14155550102',
      Company: 'Individual (Smart Tax Nation caller)',
      Lead_Source: 'AI Receptionist',
      Lead_Status: 'Contacted',
      Last_Call_Intent: 'extension question',
      SMS_Opt_Out: false,
    });
    const notes = world.zoho.notes(leads[0]!.id);
    expect(notes).toHaveLength(1);
    const content = notes[0]!.Note_Content;
    expect(content).toContain('asked about an extension');
    expect(content).not.toContain('123-45-6789');
    expect(content).toContain('Intent: extension question');
    expect(content).toContain('Sentiment: Positive');
    expect(content).toContain('Outcome: info_only');
    expect(content).toContain('Duration: 3 min 12 s');
    expect(content).toContain('Recording: https://recordings.example/call.wav');
    expect(content).toContain(`/calls/${call.id}`);
    const link = await world.database.db.selectFrom('crm_links').selectAll().executeTakeFirstOrThrow();
    expect(link).toMatchObject({ customer_id: caller.id, lead_id: leads[0]!.id, locked_by: null });
  });

  it('a returning caller updates the same lead and adds a second note', async () => {
    const caller = await aCaller(world);
    const first = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: first.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    await world.database.db.updateTable('customers').set({ name: 'Dana Rivera', email: 'dana@example.com' }).where('id', '=', caller.id).execute();
    world.clock.advance(24 * 60 * MINUTE);
    const second = await aCall(world, caller, { outcome: 'callback_requested', intent: 'wants a call back' });
    await requestSync(world, { purpose: 'call', callId: second.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    const leads = world.zoho.leads();
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      First_Name: 'Dana',
      Last_Name: 'Rivera',
      Email: 'dana@example.com',
      Lead_Status: 'Not Contacted',
      Last_Call_Intent: 'wants a call back',
    });
    expect(world.zoho.notes(leads[0]!.id)).toHaveLength(2);
    expect(upserts()).toBe(1);
  });

  it('finds a lead staff typed in by hand with a formatted phone instead of creating another', async () => {
    world.zoho.state.leads.set('5725767000000999001', {
      id: '5725767000000999001',
      fields: { Last_Name: 'Okafor', First_Name: 'Ada', Phone: '(415) 555-0102' },
      createdMs: world.clock.now().getTime() - 86_400_000,
      modifiedMs: world.clock.now().getTime() - 86_400_000,
      createdAtSearch: -100,
      searchLag: 0,
    });
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    expect(world.zoho.leads().map((lead) => lead.id)).toEqual(['5725767000000999001']);
    expect(world.zoho.leads()[0]).toMatchObject({ Last_Name: 'Okafor', Lead_Status: 'Contacted' });
    expect(world.zoho.notes('5725767000000999001')).toHaveLength(1);
  });

  it('booking, rescheduling and cancelling update the lead appointment fields in the office zone', async () => {
    const caller = await aCaller(world, '+14155550102', { name: 'Dana Rivera' });
    const appointment = await anAppointment(world, caller, { startAt: '2026-02-10T19:30:00Z' });
    await requestSync(world, { purpose: 'appointment_booked', appointmentId: appointment.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({
      Appointment_Date_Time: '2026-02-10T14:30:00-05:00',
      Appointment_Type: 'Individual tax return',
      Lead_Status: 'Pre-Qualified',
    });

    await world.database.db
      .updateTable('appointments')
      .set({ start_at: new Date('2026-03-10T18:00:00Z'), appointment_type: 'tax-consultation' })
      .where('id', '=', appointment.id)
      .execute();
    await requestSync(world, { purpose: 'appointment_rescheduled', appointmentId: appointment.id, customerId: caller.id, version: '1' });
    await world.switchboard.worker.drain();
    // 10 March is after the DST change: 14:00 in New York is -04:00.
    expect(world.zoho.leads()[0]).toMatchObject({ Appointment_Date_Time: '2026-03-10T14:00:00-04:00', Appointment_Type: 'Tax consultation' });

    await world.database.db.updateTable('appointments').set({ status: 'cancelled' }).where('id', '=', appointment.id).execute();
    await requestSync(world, { purpose: 'appointment_cancelled', appointmentId: appointment.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.leads()[0]).toMatchObject({ Appointment_Date_Time: null, Appointment_Type: null, Lead_Status: 'Contact in Future' });
    expect(world.zoho.notes()).toHaveLength(0);
  });

  it('a booked lead stays booked after a later question-only call', async () => {
    const caller = await aCaller(world, '+14155550102', { name: 'Dana Rivera' });
    const appointment = await anAppointment(world, caller, { startAt: '2026-02-10T19:30:00Z' });
    await requestSync(world, { purpose: 'appointment_booked', appointmentId: appointment.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({ Lead_Status: 'Pre-Qualified' });

    world.clock.advance(24 * 60 * MINUTE);
    const question = await aCall(world, caller, { outcome: 'info_only', intent: 'asked which documents to bring' });
    const queued = await requestSync(world, { purpose: 'call', callId: question.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    const lead = world.zoho.leads()[0]!;
    expect(lead).toMatchObject({
      Lead_Status: 'Pre-Qualified',
      Last_Call_Intent: 'asked which documents to bring',
      Appointment_Date_Time: '2026-02-10T14:30:00-05:00',
    });
    expect(world.zoho.notes(lead.id)).toHaveLength(1);
    expect((await outboxRow(world, queued.id)).result).toMatchObject({ leadStatusKept: 'behind' });
  });

  it('a status staff set in the CRM is never overwritten by a later sync', async () => {
    const caller = await aCaller(world);
    const first = await aCall(world, caller, { outcome: 'info_only' });
    await requestSync(world, { purpose: 'call', callId: first.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    const leadId = world.zoho.leads()[0]!.id;
    expect(world.zoho.leads()[0]).toMatchObject({ Lead_Status: 'Contacted' });

    // Staff mark the lead in Zoho; then the caller books.
    world.zoho.state.leads.get(leadId)!.fields.Lead_Status = 'Junk Lead';
    const appointment = await anAppointment(world, caller, { startAt: '2026-02-10T19:30:00Z' });
    await requestSync(world, { purpose: 'appointment_booked', appointmentId: appointment.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({ Lead_Status: 'Junk Lead', Appointment_Date_Time: '2026-02-10T14:30:00-05:00' });

    // Once staff set it back to what we wrote, the sync moves it forward again.
    world.zoho.state.leads.get(leadId)!.fields.Lead_Status = 'Contacted';
    const second = await anAppointment(world, caller, { startAt: '2026-02-09T19:30:00Z' });
    await requestSync(world, { purpose: 'appointment_booked', appointmentId: second.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({ Lead_Status: 'Pre-Qualified' });
  });

  it('two appointments booked in one call are two syncs, and the lead shows the earlier one', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller, { outcome: 'booked' });
    const first = await anAppointment(world, caller, { startAt: '2026-02-10T19:30:00Z', callId: call.id });
    const second = await anAppointment(world, caller, { startAt: '2026-02-12T19:30:00Z', callId: call.id });
    const a = await requestSync(world, { purpose: 'appointment_booked', appointmentId: first.id, callId: call.id, customerId: caller.id });
    const b = await requestSync(world, { purpose: 'appointment_booked', appointmentId: second.id, callId: call.id, customerId: caller.id });
    expect(b.id).not.toBe(a.id);
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.leads()[0]).toMatchObject({ Appointment_Date_Time: '2026-02-10T14:30:00-05:00' });
  });

  it('a call that booked shows the appointment in the lead and in its note', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller, { outcome: 'booked' });
    await anAppointment(world, caller, { startAt: '2026-02-10T19:30:00Z', callId: call.id });
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    const lead = world.zoho.leads()[0]!;
    expect(lead).toMatchObject({ Lead_Status: 'Pre-Qualified', Appointment_Date_Time: '2026-02-10T14:30:00-05:00' });
    expect(world.zoho.notes(lead.id)[0]!.Note_Content).toContain('Appointment: Individual tax return on Tuesday, February 10 at 2:30 PM EST');
  });

  it('a duplicate call_analyzed creates nothing new', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    const first = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    const again = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    expect(again).toMatchObject({ id: first.id, created: false });
    await world.switchboard.worker.drain();
    const repeatedAfterDone = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    expect(repeatedAfterDone.created).toBe(false);
    await world.switchboard.worker.drain();

    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
    const rows = await world.database.db.selectFrom('outbox').select('status').where('kind', '=', 'crm_sync').execute();
    expect(rows).toEqual([{ status: 'done' }]);
  });

  it('a resync of an already synced call updates the lead but writes no second note', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    await requestSync(world, { purpose: 'resync', callId: call.id, customerId: caller.id, version: 'x' });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
  });

  it('call_analyzed pulls forward the delayed sync that call_ended queued', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    const delayed = await requestSync(world, {
      purpose: 'call',
      callId: call.id,
      customerId: caller.id,
      runAt: new Date(world.clock.now().getTime() + 10 * MINUTE),
    });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()).toHaveLength(0);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, delayed.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
  });

  it('CRM 429 then success ends with one lead', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    world.zoho.emulator.faults.failNext(1, 429, TOO_MANY_REQUESTS_BODY, { match: '/crm/v8/Leads/upsert' });
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(world.zoho.leads()).toHaveLength(0);

    world.clock.advance(MINUTE + 1_000);
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
  });

  it('a lead Zoho created whose answer was lost is updated on retry, not created twice', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    world.zoho.setSearchLag(10);
    world.zoho.emulator.faults.timeoutAfterCommit(1, { match: '/crm/v8/Leads/upsert', hangMs: 20 });
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('failed');
    expect(world.zoho.leads()).toHaveLength(1);

    world.clock.advance(MINUTE + 1_000);
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
  });

  it('a note Zoho added on the last attempt whose answer was lost is not added again when staff retry the dead sync', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.database.db.updateTable('outbox').set({ max_attempts: 1 }).where('id', '=', queued.id).execute();
    world.zoho.emulator.faults.timeoutAfterCommit(1, { match: '/crm/v8/Notes', method: 'POST', hangMs: 20 });
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('dead');
    expect(world.zoho.notes()).toHaveLength(1);

    expect((await retryOutboxRow(world.database.db, world.clock, queued.id, { actor: 'staff@office.example' })).ok).toBe(true);
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes()).toHaveLength(1);
  });

  it('CRM down for 5 attempts goes dead with one alert, and a later retry succeeds', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.database.db.updateTable('outbox').set({ max_attempts: 5 }).where('id', '=', queued.id).execute();
    world.zoho.crmDown(5);

    await drainWithRetries(world, 6);
    const dead = await outboxRow(world, queued.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 5 });
    expect(dead.last_error).toContain('INTERNAL_ERROR');
    expect(world.alerts).toHaveLength(1);
    const alert = world.alerts[0]!;
    expect(alert).toMatchObject({ clientId: CLIENT, source: 'crm.sync', callId: call.id, fingerprint: `crm.sync:${CLIENT}:INTERNAL_ERROR` });
    expect(alert.details).toMatchObject({ outboxId: queued.id, callLink: expect.stringContaining(`/calls/${call.id}`) });
    expect(alert.message).not.toContain('4155550102');
    expect(world.zoho.leads()).toHaveLength(0);

    const retried = await retryOutboxRow(world.database.db, world.clock, queued.id, { actor: 'staff@office.example' });
    expect(retried.ok).toBe(true);
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.alerts).toHaveLength(1);
  });

  it('a missing CRM field goes dead at once with an alert naming the field', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    world.zoho.crmMandatoryMissingNext('Company');
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'dead', attempts: 1 });
    expect(world.alerts).toHaveLength(1);
    expect(world.alerts[0]!.message).toContain('Company');
  });

  it('an access token that expired mid-sync is refreshed once and the sync succeeds', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    const refreshesBefore = world.zoho.tokenRequests.refresh_token ?? 0;
    world.zoho.expireAccessTokens();
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect((world.zoho.tokenRequests.refresh_token ?? 0) - refreshesBefore).toBe(1);
    expect(world.zoho.leads()).toHaveLength(1);
  });

  it('two parallel syncs for the same new number end with one lead and two notes', async () => {
    const caller = await aCaller(world);
    const first = await aCall(world, caller);
    const second = await aCall(world, caller);
    // Zoho's search index lags: only serialising the two syncs keeps the second from creating a lead too.
    world.zoho.setSearchLag(10);
    await requestSync(world, { purpose: 'call', callId: first.id, customerId: caller.id });
    await requestSync(world, { purpose: 'call', callId: second.id, customerId: caller.id });
    await world.switchboard.worker.drain();

    expect(world.zoho.leads()).toHaveLength(1);
    expect(world.zoho.notes(world.zoho.leads()[0]!.id)).toHaveLength(2);
    expect(upserts()).toBe(1);
    const statuses = await world.database.db.selectFrom('outbox').select('status').where('kind', '=', 'crm_sync').execute();
    expect(statuses).toEqual([{ status: 'done' }, { status: 'done' }]);
  });

  it('a sync finding another instance holding the caller waits without spending an attempt', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    await world.database.db
      .insertInto('crm_links')
      .values({
        client_id: CLIENT,
        customer_id: caller.id,
        phone: caller.phone,
        locked_by: 'other-instance',
        locked_until: new Date(world.clock.now().getTime() + 30_000),
        created_at: world.clock.now(),
        updated_at: world.clock.now(),
      })
      .execute();
    const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(await outboxRow(world, queued.id)).toMatchObject({ status: 'scheduled', attempts: 0 });
    expect(world.zoho.leads()).toHaveLength(0);

    world.clock.advance(31_000);
    await world.switchboard.worker.drain();
    expect((await outboxRow(world, queued.id)).status).toBe('done');
    expect(world.zoho.leads()).toHaveLength(1);
  });

  it('an opt-out sync sets the lead opt-out flags without a note or a status change', async () => {
    const caller = await aCaller(world, '+14155550102', { email: 'dana@example.com' });
    const call = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({ SMS_Opt_Out: false, Email_Opt_Out: false, Lead_Status: 'Contacted' });

    await setConsent(world.database.db, world.switchboard.context, {
      clientId: CLIENT,
      channel: 'sms',
      address: caller.phone,
      purpose: 'all',
      status: 'opted_out',
      source: 'sms_keyword',
    });
    await requestSync(world, { purpose: 'consent', customerId: caller.id, version: '1' });
    await world.switchboard.worker.drain();
    expect(world.zoho.leads()[0]).toMatchObject({ SMS_Opt_Out: true, Email_Opt_Out: false, Lead_Status: 'Contacted' });
    expect(world.zoho.notes()).toHaveLength(1);
  });

  it('demo mode lists the emulator leads with their notes', async () => {
    const caller = await aCaller(world);
    const call = await aCall(world, caller);
    await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
    await world.switchboard.worker.drain();
    const response = await fetch(`${world.switchboard.url}/v1/sandbox/zoho/leads`, { headers: { cookie: await adminCookie(world.switchboard) } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { leads: Array<{ Phone: string; notes: unknown[] }> };
    expect(body.leads).toHaveLength(1);
    expect(body.leads[0]!.Phone).toBe('+14155550102');
    expect(body.leads[0]!.notes).toHaveLength(1);
  });
});

describe.each(BACKENDS)('CRM sync across a restart on %s', (kind) => {
  it('continues after a restart with the stored tokens, without refreshing', async () => {
    const database = await openTestDatabase(kind);
    const clock = new ManualClock('2026-02-02T15:00:00Z');
    // Zoho outlives our process: one emulator for both lives of the server.
    const zoho = await startZohoEmulator({ clock, clientId: DEMO_SECRETS.ZOHO_CLIENT_ID, clientSecret: DEMO_SECRETS.ZOHO_CLIENT_SECRET });
    const alerts: AlertInput[] = [];
    // The key that seals tokens at rest is the same across restarts (as in any real deployment).
    const env = { SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64') };
    try {
      const before = await startApp(database, clock, alerts, env);
      await connectZoho(before, zoho);
      const world = { database, clock, switchboard: before, zoho, alerts };
      const caller = await aCaller(world);
      const call = await aCall(world, caller);
      const queued = await requestSync(world, { purpose: 'call', callId: call.id, customerId: caller.id });
      zoho.crmDown(1);
      await before.worker.drain();
      expect((await outboxRow(world, queued.id)).status).toBe('failed');
      await before.close();

      const refreshes = zoho.tokenRequests.refresh_token ?? 0;
      const after = await startApp(database, clock, alerts, env);
      try {
        clock.advance(MINUTE + 1_000);
        await after.worker.drain();
        expect(await outboxRow({ ...world, switchboard: after }, queued.id)).toMatchObject({ status: 'done', last_error: null });
        expect(zoho.leads()).toHaveLength(1);
        expect(zoho.tokenRequests.refresh_token ?? 0).toBe(refreshes);
      } finally {
        await after.close();
      }
    } finally {
      await zoho.close();
      await database.dispose();
    }
  });
});
