/**
 * Closing must not wait on a client's keep-alive connection (src/http/close-promptly.ts): a request still running
 * when the server starts closing gets its answer with `Connection: close`, and close() ends with it instead of
 * waiting out Fastify's 72-s keep-alive timeout (which the two-instance failover test hit under load, and which
 * made a SIGTERM during a Retell webhook end by the 10-s force exit instead of closing the worker and database).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import { Emulator } from '../../src/sandbox/emulator.js';
import { aCallId, CALLER, CLIENT, startBookingApp } from '../booking/support.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(10);
}

describe.each(BACKENDS)('closing with a request in flight on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('answers the running Retell function with Connection: close and finishes closing', async () => {
    const app = await startBookingApp(database);
    const zoho = app.switchboard.context.sandbox!.zoho;
    // The calendar read answers after a second: the function request is still running when close() starts.
    zoho.emulator.faults.add({ type: 'latency', latencyMs: 1000, match: '/events', method: 'GET', times: 1 });
    const readsBefore = zoho.emulator.received('/events', 'GET').length;
    const body = JSON.stringify({
      name: 'check_calendar_availability',
      args: { day: '2026-02-03', part_of_day: 'afternoon' },
      call: {
        call_id: aCallId(),
        agent_id: 'agent_stn_demo_0001',
        call_type: 'phone_call',
        direction: 'inbound',
        from_number: CALLER,
        to_number: '+12125550199',
        call_status: 'ongoing',
      },
    });
    const inFlight = fetch(`${app.switchboard.url}/v1/retell/${CLIENT}/functions/check_calendar_availability`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
      body,
    });
    await until(() => zoho.emulator.received('/events', 'GET').length > readsBefore);
    const closed = app.switchboard.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    await response.text();
    await closed;
  });
});

describe('an emulator closing with a request in flight', () => {
  it('answers it with Connection: close and finishes closing', async () => {
    const emulator = await Emulator.start({ name: 'test', routes: (app) => void app.get('/slow', async () => ({ ok: true })) });
    // A keep-alive connection first, as a vendor client keeps one.
    expect((await fetch(`${emulator.url}/slow`)).status).toBe(200);
    emulator.faults.add({ type: 'latency', latencyMs: 500, match: '/slow', times: 1 });
    const inFlight = fetch(`${emulator.url}/slow`);
    await until(() => emulator.received('/slow').length > 1);
    const closed = emulator.close();
    const response = await inFlight;
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ ok: true });
    await closed;
  });
});
