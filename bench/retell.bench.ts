/**
 * Retell figures on PGlite and PostgreSQL, with 100,000 customers and 300,000 calls in the database:
 * - call_inbound latency at 500 requests/s for 10 s (p50/p99; target p99 <= 10 ms);
 * - webhook ingest throughput of signed call_ended events with a realistic transcript, as a ratio to a bare
 *   node:http server that only reads the body and answers 204, measured in the same run (target >= 0.4).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { sign } from 'retell-sdk';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import type { DatabaseKind } from '../src/db/database.js';
import { startTestApp } from '../test/support/app.js';
import type { BenchResult } from './types.js';

const CLIENT = 'smart-tax-nation';
const AGENT = 'agent_stn_demo_0001';
const KEY = DEMO_SECRETS.RETELL_API_KEY;
const CUSTOMERS = 100_000;
const CALLS = 300_000;

function phoneOf(n: number): string {
  return `+1646${String(n).padStart(7, '0')}`;
}

async function seed(db: Kysely<DB>) {
  await sql`
    insert into customers (client_id, phone, name, call_count, first_call_at, last_call_at, last_summary, last_intent, created_at, updated_at)
    select ${CLIENT}, '+1646' || lpad(n::text, 7, '0'), 'Caller ' || n, 3, now() - interval '90 days', now() - (n % 60) * interval '1 day',
           'Asked about filing status and what documents to bring.', 'question', now(), now()
    from generate_series(1, ${CUSTOMERS}) as n`.execute(db);
  await sql`
    insert into calls (id, client_id, customer_id, agent_id, direction, from_number, to_number, status, stage, events, started_at, ended_at,
                       duration_ms, summary, intent, outcome, created_at, updated_at)
    select 'bench_call_' || n, ${CLIENT}, c.id, ${AGENT}, 'inbound', c.phone, '+12125550142', 'analyzed', 4, '{}'::jsonb,
           now() - (n % 365) * interval '1 day', now() - (n % 365) * interval '1 day' + interval '3 minutes', 180000,
           'Asked about filing status.', 'question', 'info_only', now(), now()
    from generate_series(1, ${CALLS}) as n
    join customers c on c.client_id = ${CLIENT} and c.phone = '+1646' || lpad(((n % ${CUSTOMERS}) + 1)::text, 7, '0')`.execute(db);
  await sql`analyze customers`.execute(db);
  await sql`analyze calls`.execute(db);
}

async function signedBodies(count: number, make: (i: number) => unknown): Promise<Array<{ body: string; signature: string }>> {
  const out: Array<{ body: string; signature: string }> = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify(make(i));
    out.push({ body, signature: await sign(body, KEY) });
  }
  return out;
}

function realisticTranscript(turns: number) {
  const lines = [
    ['agent', 'Thanks for calling Smart Tax Nation, this is the virtual receptionist. How can I help you today?'],
    ['user', "Hi, I got a letter from the IRS about my 2025 return and I'm not sure what it means."],
    ['agent', "I'm sorry to hear that. I can set up a consultation with one of our preparers. May I have your name?"],
    ['user', "Sure, it's Morgan Ellis. Do I need to bring the letter with me?"],
    ['agent', 'Yes, please bring the letter, last year\'s return and a photo ID. Would Thursday afternoon work?'],
    ['user', 'Thursday at two would be perfect, thank you so much.'],
  ];
  const object = Array.from({ length: turns }, (_, i) => {
    const [role, content] = lines[i % lines.length]!;
    return { role, content, words: content!.split(' ').map((word, w) => ({ word, start: i * 6 + w * 0.3, end: i * 6 + w * 0.3 + 0.25 })) };
  });
  return { transcript: object.map((u) => `${u.role === 'agent' ? 'Agent' : 'User'}: ${u.content}`).join('\n'), transcript_object: object };
}

function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function rotating(bodies: Array<{ body: string; signature: string }>) {
  let index = 0;
  return (request: autocannon.Request) => {
    const next = bodies[index++ % bodies.length]!;
    return { ...request, body: next.body, headers: { ...request.headers, 'content-type': 'application/json', 'x-retell-signature': next.signature } };
  };
}

async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    request.on('data', () => undefined);
    request.on('end', () => {
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function benchBackend(kind: DatabaseKind): Promise<BenchResult[]> {
  const app = await startTestApp(kind);
  try {
    const seedStarted = performance.now();
    await seed(app.context.db);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const inboundBodies = await signedBodies(2000, (i) => ({
      event: 'call_inbound',
      call_inbound: { agent_id: AGENT, from_number: phoneOf((i * 37) % CUSTOMERS + 1), to_number: '+12125550142', call_id: `bench_in_${kind}_${i}_${Date.now()}` },
    }));
    // Warm up (JIT, statement caches) before measuring.
    await cannon({ url: `${app.url}/v1/retell/${CLIENT}/inbound`, method: 'POST', connections: 5, amount: 300, requests: [{ setupRequest: rotating(inboundBodies.slice(0, 300)) }] });
    const inbound = await cannon({
      url: `${app.url}/v1/retell/${CLIENT}/inbound`,
      method: 'POST',
      connections: 10,
      overallRate: 500,
      duration: 10,
      requests: [{ setupRequest: rotating(inboundBodies) }],
    });
    const p99 = inbound.latency.p99;

    const { transcript, transcript_object } = realisticTranscript(60);
    const ingestBodies = await signedBodies(3000, (i) => ({
      event: 'call_ended',
      call: {
        call_type: 'phone_call', call_id: `bench_ended_${kind}_${i}_${Date.now()}`, agent_id: AGENT, agent_version: 3, call_status: 'ended',
        direction: 'inbound', from_number: phoneOf((i * 53) % CUSTOMERS + 1), to_number: '+12125550142',
        start_timestamp: Date.now() - 360_000, end_timestamp: Date.now(), duration_ms: 360_000, transcript, transcript_object,
        disconnection_reason: 'user_hangup', recording_url: 'https://example.invalid/r.wav',
      },
    }));
    const bodyBytes = ingestBodies[0]!.body.length;
    const ours = await cannon({ url: `${app.url}/v1/retell/${CLIENT}/webhook`, method: 'POST', connections: 10, duration: 5, requests: [{ setupRequest: rotating(ingestBodies) }] });
    const bare = await bareServer();
    let baseline: autocannon.Result;
    try {
      baseline = await cannon({ url: bare.url, method: 'POST', connections: 10, duration: 5, requests: [{ setupRequest: rotating(ingestBodies) }] });
    } finally {
      await bare.close();
    }
    const ratio = ours.requests.average / baseline.requests.average;
    return [
      { name: 'seed 100k customers + 300k calls', backend: kind, value: Math.round(seedSeconds * 10) / 10, unit: 's' },
      { name: 'call_inbound p50 at 500 req/s', backend: kind, value: inbound.latency.p50, unit: 'ms' },
      {
        name: 'call_inbound p99 at 500 req/s',
        backend: kind,
        value: p99,
        unit: 'ms',
        target: '<= 10 ms',
        ok: p99 <= 10 && inbound.non2xx === 0,
        notes: `${inbound.requests.total} requests, ${inbound.non2xx} non-2xx, ${inbound.errors} errors`,
      },
      {
        name: 'call_ended ingest vs bare node:http',
        backend: kind,
        value: Math.round(ratio * 100) / 100,
        unit: 'ratio',
        target: '>= 0.4',
        ok: ratio >= 0.4 && ours.non2xx === 0,
        notes: `${Math.round(ours.requests.average)} vs ${Math.round(baseline.requests.average)} req/s, body ${Math.round(bodyBytes / 1024)} KB, ${ours.non2xx} non-2xx`,
      },
    ];
  } finally {
    await app.dispose();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await benchBackend('pglite')), ...(await benchBackend('postgres'))];
}
