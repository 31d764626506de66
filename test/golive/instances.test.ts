/**
 * Three real Switchboard processes on one PostgreSQL database (issue 9, "Several instances"). Each process
 * starts its own demo emulators; texts of all three go to one Twilio emulator in this test process
 * (SANDBOX_TWILIO_URL) and the Zoho connection stored in the shared database points at the first instance's
 * Zoho emulator, which the other two keep (it answers), so each vendor is counted in one place.
 */
import { createRequire } from 'node:module';
import type { WebSocket } from '@fastify/websocket';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import type { TwilioEmulator } from '../../src/sandbox/twilio.js';
import { createPostgresDatabase } from '../support/databases.js';
import type { RunningServer } from '../support/process.js';
import {
  ADMIN_EMAIL,
  CLIENT,
  aSecretKey,
  composeText,
  eventually,
  firstAdminPassword,
  goLiveConfigDir,
  sentCount,
  signIn,
  startInstance,
  startSharedTwilio,
  type Session,
} from './instances-support.js';

const WebSocketClient = createRequire(import.meta.url)('ws').WebSocket as new (url: string, options?: { headers?: Record<string, string> }) => WebSocket;
const AGENT = 'agent_stn_demo_0001';

async function retell(baseUrl: string, path: string, payload: unknown): Promise<number> {
  return (await retellAnswer(baseUrl, path, payload)).status;
}

async function retellAnswer(baseUrl: string, path: string, payload: unknown): Promise<{ status: number; body: any }> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${baseUrl}/v1/retell/${CLIENT}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function aCall(callId: string, fields: Record<string, unknown> = {}) {
  return {
    call_type: 'phone_call',
    call_id: callId,
    agent_id: AGENT,
    call_status: 'ongoing',
    direction: 'inbound',
    from_number: '+12125550123',
    to_number: '+12125550199',
    start_timestamp: Date.now(),
    ...fields,
  };
}

describe('three instances on one PostgreSQL', () => {
  let created: { url: string; drop(): Promise<void> };
  let database: Database;
  let twilio: TwilioEmulator;
  let instances: RunningServer[] = [];
  let session: Session;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    created = await createPostgresDatabase();
    twilio = await startSharedTwilio();
    const shared = { configDir: goLiveConfigDir(), twilio, databaseUrl: created.url, secretKey: aSecretKey() };
    // The first one alone: it migrates, creates the first admin and connects Zoho; the others find all three done.
    const first = await startInstance(shared);
    instances = [first, ...(await Promise.all([startInstance(shared), startInstance(shared)]))];
    database = await openDatabase({ url: created.url, poolSize: 4 });
    session = await signIn(first.url, ADMIN_EMAIL, firstAdminPassword(first));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await database?.close();
    await twilio?.close();
    await created?.drop();
  });

  it('refreshes the Zoho token once, not three times, when every instance needs it at the same moment', async () => {
    const connection = await database.db.selectFrom('oauth_connections').select(['accounts_server']).where('client_id', '=', CLIENT).executeTakeFirstOrThrow();
    const refreshes = async () => {
      const answer = (await (await fetch(`${connection.accounts_server}/__sandbox/requests`)).json()) as {
        requests: Array<{ path: string; body: { grant_type?: string } }>;
      };
      return answer.requests.filter((request) => request.path === '/oauth/v2/token' && request.body?.grant_type === 'refresh_token').length;
    };
    const before = await refreshes();
    // No instance has used Zoho yet (nothing cached in memory); the stored access token now expires for all of them.
    await database.db
      .updateTable('oauth_connections')
      .set({ access_expires_at: new Date(Date.now() - 60_000) })
      .where('client_id', '=', CLIENT)
      .execute();

    const callId = `call_golive_zoho_${run}`;
    const answers = await Promise.all(
      instances.flatMap((instance) =>
        [1, 2, 3].map(() =>
          retellAnswer(instance.url, 'functions/check_calendar_availability', { name: 'check_calendar_availability', args: {}, call: aCall(callId) }),
        ),
      ),
    );

    // Every instance read the calendar (slots, not the spoken "couldn't reach the calendar" fallback).
    expect(answers.map((answer) => [answer.status, Array.isArray(answer.body.slots) && answer.body.slots.length > 0])).toEqual(Array(9).fill([200, true]));
    expect((await refreshes()) - before).toBe(1);
  });

  it('records each webhook once when deliveries are spread across the instances and repeated on two at once', async () => {
    const callIds = Array.from({ length: 30 }, (_, index) => `call_golive_spread_${run}_${index}`);
    const statuses = await Promise.all(
      callIds.flatMap((callId, index) => {
        const event = { event: 'call_started', call: aCall(callId) };
        // Retell's retry of the same event lands on another instance while the first delivery is in flight.
        return [retell(instances[index % 3]!.url, 'webhook', event), retell(instances[(index + 1) % 3]!.url, 'webhook', event)];
      }),
    );
    expect(statuses.every((status) => status >= 200 && status < 300)).toBe(true);

    // Stored before the answer; the instances' workers apply them moments later.
    const events = await eventually(async () => {
      const rows = await database.db
        .selectFrom('webhook_events')
        .select('status')
        .where(sql<boolean>`idempotency_key like ${`%call_golive_spread_${run}_%`}`)
        .execute();
      return rows.length > 0 && rows.every((row) => row.status === 'processed') ? rows : undefined;
    }, 'every stored call_started to be processed');
    expect(events).toHaveLength(30);
    const calls = await database.db.selectFrom('calls').select(['id', 'status']).where('id', 'in', callIds).execute();
    expect(calls.map((call) => call.status)).toEqual(Array(30).fill('in_progress'));
    // The event flips to processed inside the handler's transaction; the worker records its outbox row's end a
    // moment later, in its bulk completion. Wait for that end, then it must be done on the first attempt.
    const applied = await eventually(async () => {
      const rows = await database.db
        .selectFrom('outbox')
        .select(['status', 'attempts'])
        .where('kind', '=', 'retell_event')
        .where('call_id', 'in', callIds)
        .execute();
      return rows.length === 30 && rows.every((row) => row.status !== 'running' && row.status !== 'scheduled') ? rows : undefined;
    }, 'every retell_event row to finish');
    expect(applied).toEqual(Array(30).fill({ status: 'done', attempts: 1 }));
  });

  it('sends each due message exactly once when all three workers compete for the outbox', async () => {
    const bodies = Array.from({ length: 60 }, (_, index) => `Smart Tax Nation: go-live burst ${run} #${index}`);
    const sessions = await Promise.all(instances.map((instance) => signIn(instance.url, ADMIN_EMAIL, firstAdminPassword(instances[0]!))));
    const composed = await Promise.all(bodies.map((body, index) => composeText(sessions[index % 3]!, `+1212555${String(100 + index).padStart(4, '0')}`, body)));
    expect(composed.map((answer) => answer.status)).toEqual(Array(60).fill(201));
    const ids = composed.map((answer) => answer.id!);

    await eventually(async () => {
      const open = await database.db.selectFrom('outbox').select('id').where('id', 'in', ids).where('status', '!=', 'done').execute();
      return open.length === 0 ? true : undefined;
    }, 'every composed text to be done');

    expect(bodies.map((body) => sentCount(twilio, body))).toEqual(Array(60).fill(1));
    const attempts = await database.db.selectFrom('outbox_attempts').select('outbox_id').where('outbox_id', 'in', ids).where('outcome', '=', 'ok').execute();
    expect(attempts).toHaveLength(60);
  });

  it('carries a live event raised on one instance to a dashboard WebSocket connected to another', async () => {
    const second = instances[1]!;
    const socket = new WebSocketClient(`${second.url.replace('http', 'ws')}/v1/api/live`, { headers: { origin: second.url, cookie: session.cookie } });
    const events: Array<{ type: string; clientId?: string; data?: { callId?: string } }> = [];
    socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString())));
    try {
      await eventually(async () => events.find((event) => event.type === 'hello'), 'the hello on the live socket', 10_000);

      const callId = `call_golive_live_${run}`;
      expect(await retell(instances[0]!.url, 'webhook', { event: 'call_started', call: aCall(callId) })).toBe(200);

      const event = await eventually(
        async () => events.find((candidate) => candidate.type === 'call.updated' && candidate.data?.callId === callId),
        'the call event on the other instance',
        10_000,
      );
      expect(event.clientId).toBe(CLIENT);
    } finally {
      socket.close();
    }
  });
});
