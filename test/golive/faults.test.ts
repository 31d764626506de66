/**
 * Crash drills (issue 9, "Faults") on real `switchboard start` processes: `kill -9` in the middle of a burst of
 * texts on the embedded database, with a Twilio that loses every 40th answer after taking the text (issue 14), and
 * PostgreSQL backends terminated under load. Texts are counted by one Twilio emulator in this test process, which
 * outlives the killed process. `npm test` runs each drill once; `npm run test:soak` (SOAK=1) repeats them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { WebSocket } from '@fastify/websocket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { openDatabase } from '../../src/db/database.js';
import { pendingMigrations } from '../../src/db/migrate.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import type { TwilioEmulator } from '../../src/sandbox/twilio.js';
import { createPostgresDatabase, serverUrl } from '../support/databases.js';
import type { RunningServer } from '../support/process.js';
import {
  ADMIN_EMAIL,
  CLIENT,
  SOAK,
  aDataDir,
  aSecretKey,
  composeText,
  eventually,
  firstAdminPassword,
  goLiveConfigDir,
  sentCount,
  signIn,
  startInstance,
  startSharedTwilio,
} from './instances-support.js';

const WebSocketClient = createRequire(import.meta.url)('ws').WebSocket as new (url: string, options?: { headers?: Record<string, string> }) => WebSocket;

/** A signed call_started; answers the HTTP status, or 0 when the connection failed (the process was gone). */
async function callStarted(baseUrl: string, callId: string): Promise<number> {
  const body = JSON.stringify({
    event: 'call_started',
    call: {
      call_type: 'phone_call',
      call_id: callId,
      agent_id: 'agent_stn_demo_0001',
      call_status: 'ongoing',
      direction: 'inbound',
      from_number: '+12125550123',
      to_number: '+12125550199',
      start_timestamp: Date.now(),
    },
  });
  try {
    const response = await fetch(`${baseUrl}/v1/retell/${CLIENT}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

const accepted = (status: number) => status >= 200 && status < 300;

/** Drill figures for docs/reliability.md (test-artifacts/golive-<drill>.json). */
function recordFigures(drill: string, figures: Record<string, unknown>): void {
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync(`test-artifacts/golive-${drill}.json`, JSON.stringify({ at: new Date().toISOString(), soak: SOAK, ...figures }, null, 2));
}

describe('kill -9 in the middle of a burst of texts, with lost Twilio answers (embedded database)', () => {
  let twilio: TwilioEmulator;
  const configDir = goLiveConfigDir();
  const dataDir = aDataDir();
  const secretKey = aSecretKey();
  let server: RunningServer | undefined;
  let password: string;
  const rounds = SOAK ? 5 : 1;
  const run = Date.now().toString(36);
  const acceptedTexts = new Map<number, string>();
  const lostInFlight: string[] = [];
  const acceptedCalls: string[] = [];

  beforeAll(async () => {
    twilio = await startSharedTwilio();
    // A stand-in Twilio that takes every 40th text and then drops the connection instead of answering.
    twilio.faults.add({ type: 'timeout_after_commit', match: '/Messages.json', method: 'POST', every: 40, hangMs: 20 });
    server = await startInstance({ configDir, dataDir, secretKey, twilio });
    password = firstAdminPassword(server);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await twilio?.close();
  });

  it(
    `sends no accepted text twice and loses none, lost answers and texts cut off by the kill included, and keeps every accepted webhook, over ${rounds} crash(es)`,
    async () => {
      for (let round = 0; round < rounds; round += 1) {
        const victim = server!;
        const session = await signIn(victim.url, ADMIN_EMAIL, password);
        const bodies = Array.from({ length: 40 }, (_, index) => `Smart Tax Nation: crash drill ${run} round ${round} #${index}`);
        let arrived = 0;
        const fifthText = twilio.emulator.waitFor(
          (request) => (request.body as { Body?: string } | undefined)?.Body?.includes(`${run} round ${round} #`) === true && ++arrived >= 5,
          30_000,
        );
        const texts = Promise.all(
          bodies.map(async (body, index) => {
            const answer = await composeText(session, `+1212555${String(100 + index).padStart(4, '0')}`, body).catch(() => ({ status: 0, id: undefined }));
            if (answer.status === 201 && answer.id) acceptedTexts.set(answer.id, body);
            else lostInFlight.push(body);
          }),
        );
        const webhooks = Promise.all(
          Array.from({ length: 20 }, async (_, index) => {
            const callId = `call_crash_${run}_${round}_${index}`;
            if (accepted(await callStarted(victim.url, callId))) acceptedCalls.push(callId);
          }),
        );

        await fifthText;
        victim.child.kill('SIGKILL');
        await Promise.all([texts, webhooks, new Promise((resolve) => victim.child.once('exit', resolve))]);

        // Same data directory: the stale lock is taken over; texts the dead process left running are looked up at
        // Twilio and adopted or sent.
        server = await startInstance({ configDir, dataDir, secretKey, twilio });
      }

      const session = await signIn(server!.url, ADMIN_EMAIL, password);
      const restartedAt = Date.now();
      // Then a burst the kill does not cut short, so answers are lost (every 40th) however few texts the kills let out.
      await Promise.all(
        Array.from({ length: 80 }, async (_, index) => {
          const body = `Smart Tax Nation: crash drill ${run} after #${index}`;
          const answer = await composeText(session, `+1212555${String(100 + index).padStart(4, '0')}`, body);
          expect(answer.status).toBe(201);
          acceptedTexts.set(answer.id!, body);
        }),
      );
      const settled = await eventually(async () => {
        // One page per round (the list answers at most 200), found by the round's words in the text.
        const rows: Array<{ id: number; outboxStatus: string }> = [];
        const labels = [...Array.from({ length: rounds }, (_, round) => `round ${round} #`), 'after #'];
        for (const label of labels) {
          const { body } = await session.request('GET', `/v1/api/messages?client=${CLIENT}&channel=sms&limit=200&q=${encodeURIComponent(`${run} ${label}`)}`);
          rows.push(...(body.messages as Array<{ id: number; outboxStatus: string }>).filter((row) => acceptedTexts.has(row.id)));
        }
        const settledStatuses = ['done', 'unknown', 'dead'];
        return rows.length === acceptedTexts.size && rows.every((row) => settledStatuses.includes(row.outboxStatus)) ? rows : undefined;
      }, 'every accepted text to be sent, dead or marked unknown');

      expect(acceptedTexts.size).toBeGreaterThan(0);
      const answersDropped = twilio.requests.filter(
        (request) => request.method === 'POST' && request.path.endsWith('/Messages.json') && request.status === undefined,
      ).length;
      expect(answersDropped).toBeGreaterThan(0);
      // 0 duplicates: no text twice at Twilio. 0 lost: none `unknown`, every `done` text is at Twilio, and a text is
      // only `dead` (not sent, with an alert, for staff to send again) when kills used up its attempts (checked below).
      expect(settled.filter((row) => row.outboxStatus === 'unknown').map((row) => row.id)).toEqual([]);
      const duplicates = [...acceptedTexts.values()].filter((body) => sentCount(twilio, body) > 1);
      const missing = settled.filter((row) => row.outboxStatus === 'done' && sentCount(twilio, acceptedTexts.get(row.id)!) === 0).map((row) => row.id);
      const deadIds = settled.filter((row) => row.outboxStatus === 'dead').map((row) => row.id);
      expect({ duplicates, missing, deadButSent: deadIds.filter((id) => sentCount(twilio, acceptedTexts.get(id)!) > 0) }).toEqual({
        duplicates: [],
        missing: [],
        deadButSent: [],
      });
      const figures = {
        rounds,
        acceptedTexts: acceptedTexts.size,
        composesLostInFlight: lostInFlight.length,
        answersDropped,
        lookups: twilio.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/Messages.json')).length,
        done: settled.filter((row) => row.outboxStatus === 'done').length,
        unknown: settled.filter((row) => row.outboxStatus === 'unknown').length,
        deadAfterRepeatedKills: deadIds.length,
        duplicates: duplicates.length,
        lost: missing.length,
        acceptedWebhooks: acceptedCalls.length,
        settleMsAfterLastRestart: Date.now() - restartedAt,
      };
      // A compose whose answer was lost to the kill may or may not have committed; either way at most one text.
      for (const body of lostInFlight) expect(sentCount(twilio, body)).toBeLessThanOrEqual(1);

      for (const callId of acceptedCalls) {
        const { status } = await session.request('GET', `/v1/api/calls/${callId}`);
        expect(status, callId).toBe(200);
      }

      // The data directory opens cleanly in a fresh process-less PGlite, fully migrated, with everything in it.
      await server!.stop();
      server = undefined;
      const reopened = await openDatabase({ dataDir });
      try {
        expect(await pendingMigrations(reopened)).toEqual([]);
        const texts = await reopened.db
          .selectFrom('outbox')
          .select(['id', 'result'])
          .where('id', 'in', [...acceptedTexts.keys()])
          .execute();
        const history = await reopened.db
          .selectFrom('outbox_attempts')
          .select(['outbox_id', 'outcome'])
          .where('outbox_id', 'in', [...acceptedTexts.keys()])
          .execute();
        for (const id of deadIds) {
          const kills = history.filter((attempt) => Number(attempt.outbox_id) === id && attempt.outcome === 'lease_expired').length;
          expect(kills, `dead text ${id}: attempts used by kills`).toBeGreaterThanOrEqual(3);
        }
        recordFigures('kill9', {
          ...figures,
          adopted: texts.filter((row) => (row.result as { adopted?: boolean } | null)?.adopted === true).length,
          unsettledAttempts: history.filter((attempt) => attempt.outcome === 'unsettled').length,
          cutOffByKill: history.filter((attempt) => attempt.outcome === 'lease_expired').length,
        });
        const calls = await reopened.db
          .selectFrom('calls')
          .select('id')
          .where('id', 'in', acceptedCalls.length ? acceptedCalls : ['none'])
          .execute();
        expect(calls).toHaveLength(acceptedCalls.length);
        const stuck = await reopened.db.selectFrom('outbox').select('id').where('status', '=', 'running').execute();
        expect(stuck).toEqual([]);
      } finally {
        await reopened.close();
      }
    },
    SOAK ? 300_000 : 90_000,
  );
});

describe('PostgreSQL backends terminated under load', () => {
  let created: { url: string; drop(): Promise<void> };
  let twilio: TwilioEmulator;
  let server: RunningServer;
  let password: string;
  const outages = SOAK ? 5 : 1;
  const run = Date.now().toString(36);

  /** Terminates this test's own database backends (other suites share the server); `closed` also refuses new ones. */
  async function terminateBackends(options: { closed?: boolean } = {}): Promise<number> {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const name = new URL(created.url).pathname.slice(1);
      if (options.closed !== undefined) await admin.query(`alter database ${name} with allow_connections ${options.closed ? 'false' : 'true'}`);
      const result = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      return result.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  async function countKeptForRetry(): Promise<number> {
    const database = await openDatabase({ url: created.url, poolSize: 1 });
    try {
      const rows = await database.db.selectFrom('outbox').select('id').where('kind', '=', 'retell_event').execute();
      return rows.length;
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    created = await createPostgresDatabase();
    twilio = await startSharedTwilio();
    server = await startInstance({ configDir: goLiveConfigDir(), databaseUrl: created.url, secretKey: aSecretKey(), twilio });
    password = firstAdminPassword(server);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await twilio?.close();
    await created?.drop();
  });

  it(
    'answers 5xx (never 200) while the database is gone, reconnects by itself, and loses nothing it accepted',
    async () => {
      const session = await signIn(server.url, ADMIN_EMAIL, password);
      const statuses: number[] = [];
      const acceptedCalls: string[] = [];
      const refusedCalls: string[] = [];
      const texts = new Map<number, string>();
      let terminated = 0;

      for (let outage = 0; outage < outages; outage += 1) {
        const load = Promise.all(
          Array.from({ length: 40 }, async (_, index) => {
            const callId = `call_pgdrill_${run}_${outage}_${index}`;
            const status = await callStarted(server.url, callId);
            statuses.push(status);
            (accepted(status) ? acceptedCalls : refusedCalls).push(callId);
            if (index % 4 === 0) {
              const body = `Smart Tax Nation: pg drill ${run} ${outage} #${index}`;
              const answer = await composeText(session, `+1212555${String(100 + index).padStart(4, '0')}`, body).catch(() => ({ status: 0, id: undefined }));
              if (answer.status === 201 && answer.id) texts.set(answer.id, body);
            }
          }),
        );
        terminated += await terminateBackends();
        await load;
      }

      // A real outage: the database refuses connections for a while. Nothing can be stored, so nothing may be
      // answered 200; Retell retries a 5xx.
      terminated += await terminateBackends({ closed: true });
      const duringOutage: string[] = [];
      let outageStatuses: number[] = [];
      try {
        outageStatuses = await Promise.all(
          Array.from({ length: 10 }, (_, index) => {
            const callId = `call_pgdrill_${run}_down_${index}`;
            duringOutage.push(callId);
            return callStarted(server.url, callId);
          }),
        );
      } finally {
        await terminateBackends({ closed: false });
      }
      expect(
        outageStatuses.every((status) => status >= 500 && status < 600),
        String(outageStatuses),
      ).toBe(true);
      statuses.push(...outageStatuses);
      refusedCalls.push(...duringOutage);

      expect(terminated).toBeGreaterThan(0);
      expect(server.child.exitCode, server.output()).toBeNull();
      // Every answer is a success or a server error Retell retries: never a connection failure or a 4xx.
      expect(statuses.filter((status) => !accepted(status) && !(status >= 500 && status < 600))).toEqual([]);

      // Retell retries what was refused; by now Switchboard has reconnected on its own.
      for (const callId of refusedCalls) {
        await eventually(async () => (accepted(await callStarted(server.url, callId)) ? true : undefined), `the retried ${callId}`, 15_000);
      }
      const database = await openDatabase({ url: created.url, poolSize: 2 });
      try {
        // Accepted means stored, with a retell_event row that applies it (and retries it if applying fails).
        const kept = await database.db.selectFrom('webhook_events').select(['idempotency_key', 'status']).where('event_type', '=', 'call_started').execute();
        for (const callId of acceptedCalls)
          expect(
            kept.some((row) => row.idempotency_key.endsWith(`:${callId}`)),
            callId,
          ).toBe(true);
        const allCalls = [...acceptedCalls, ...refusedCalls];
        await eventually(
          async () => {
            const calls = await database.db.selectFrom('calls').select('id').where('id', 'in', allCalls).execute();
            return calls.length === allCalls.length ? true : undefined;
          },
          'every call, including events kept for retry, to be recorded',
          30_000,
        );

        await eventually(
          async () => {
            const open = await database.db
              .selectFrom('outbox')
              .select(['id', 'status'])
              .where('id', 'in', [...texts.keys(), -1])
              .where('status', 'not in', ['done', 'unknown'])
              .execute();
            return open.length === 0 ? true : undefined;
          },
          'every accepted text to be sent or marked unknown',
          30_000,
        );
        const rows = await database.db
          .selectFrom('outbox')
          .select(['id', 'status'])
          .where('id', 'in', [...texts.keys(), -1])
          .execute();
        for (const row of rows) {
          const times = sentCount(twilio, texts.get(row.id)!);
          if (row.status === 'done') expect(times, `text ${row.id}`).toBe(1);
          else expect(times, `text ${row.id} (unknown)`).toBeLessThanOrEqual(1);
        }
      } finally {
        await database.close();
      }

      recordFigures('pg-terminate', {
        outages,
        backendsTerminated: terminated,
        webhooks: statuses.length,
        answered2xx: statuses.filter(accepted).length,
        answered5xx: statuses.filter((status) => status >= 500).length,
        answeredDuringClosedOutage: outageStatuses,
        keptForRetry: (await countKeptForRetry()) ?? null,
        texts: texts.size,
      });
      // The LISTEN connection came back too: a live event still reaches a dashboard socket.
      const socket = new WebSocketClient(`${server.url.replace('http', 'ws')}/v1/api/live`, { headers: { origin: server.url, cookie: session.cookie } });
      const events: Array<{ type: string; data?: { callId?: string } }> = [];
      socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString())));
      try {
        await eventually(async () => events.find((event) => event.type === 'hello'), 'the hello on the live socket', 10_000);
        const callId = `call_pgdrill_${run}_after`;
        expect(await callStarted(server.url, callId)).toBe(200);
        await eventually(
          async () => events.find((event) => event.type === 'call.updated' && event.data?.callId === callId),
          'a live event after the outage',
          10_000,
        );
      } finally {
        socket.close();
      }
    },
    SOAK ? 300_000 : 90_000,
  );
});
