/**
 * Retell figures on PGlite and PostgreSQL, with 100,000 customers and 300,000 calls in the database:
 * - call_inbound latency at 500 requests/s for 10 s (p50/p99; target p99 <= 10 ms);
 * - webhook ingest throughput of signed call_ended events with a realistic transcript, as a ratio to a bare
 *   node:http server that only reads the body and answers 204, measured in the same run (the old ">= 0.4" target is retired: see ingest.bench.ts). The
 *   webhook stores and answers (persist-and-answer); the worker is paused during that run and then applies the
 *   backlog, reported as its own rate, and every event answered 2xx is checked to have been applied.
 * The load generator runs in a child process (`--retell-load`), so the figures are the server's and not the
 * server's plus the client's on one event loop. call_inbound (both ways of offering it) is measured against the
 * server in a process of its own (bench/support/server-process.ts), seeded before it starts (PostgreSQL: a fresh
 * database; PGlite: a data directory, closed before the server opens it), and compiled (`dist/`, after
 * `npm run build`) unless dist/ is missing or older than src/ or BENCH_SERVER_FROM_SOURCE=1, when it runs under tsx;
 * the notes say which. `BENCH_RETELL_INBOUND_IN_PROCESS=1` measures it as before, the server inside this process
 * (under tsx, beside the seed and the harness), to compare with older commits. The ingest runs below stay in
 * this process, on the database seeded for call_inbound (bench/ingest.bench.ts measures ingest with every server in
 * its own process). call_inbound is offered open-loop (Poisson arrivals at 500/s, each latency counted from the
 * request's due time); ingest is closed-loop autocannon on 10 connections (as fast as the server answers), against a bare server and two ceilings doing only the work every webhook must do.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import { Pool } from 'undici';
import type { DB } from '../src/db/schema.js';
import { sign } from 'retell-sdk';
import { checkRetellSignature } from '../src/providers/retell/signature.js';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import { openDatabase, type DatabaseKind } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startTestApp } from '../test/support/app.js';
import { createPostgresDatabase, seedClient, type TestDatabase } from '../test/support/databases.js';
import { watchGc, type GcCounts } from './support/gc-counts.js';
import { compiledServer, heapMb, startServerProcess } from './support/server-process.js';
import type { BenchResult } from './types.js';

const CLIENT = 'smart-tax-nation';
const AGENT = 'agent_stn_demo_0001';
const KEY = DEMO_SECRETS.RETELL_API_KEY;
const CUSTOMERS = 100_000;
const CALLS = 300_000;
/** Distinct signed call_ended bodies the load cycles through; past this count a delivery repeats an event (a duplicate). */
const CALL_ENDED_BODIES = 3000;

function phoneOf(n: number): string {
  return `+1646${String(n).padStart(7, '0')}`;
}

async function seed(db: Kysely<DB>, kind: DatabaseKind) {
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
  // Every third caller has a caller profile (issue 17: returning callers whose calls were analysed), so call_inbound
  // reads and words one for about a third of the ringing callers, as it would in an office that has run for a while.
  await sql`
    insert into caller_profiles (customer_id, client_id, intent_last, needs, language, open_issue, guidance, calls_counted, updated_at)
    select c.id, ${CLIENT}, 'status', array['reassurance', 'time_pressed'], 'en', 'Got an IRS letter that says to respond by Friday.',
           'Returning caller, anxious about an IRS letter due Friday: reassure first, offer the earliest slot.', 3, now()
    from customers c where c.client_id = ${CLIENT} and c.id % 3 = 0`.execute(db);
  // The copy call_inbound reads (migration 0030), as insights/profile-on-customer.ts keeps it.
  await sql`
    update customers c
    set profile_intent_last = p.intent_last, profile_needs = p.needs, profile_language = p.language,
        profile_open_issue = p.open_issue, profile_guidance = p.guidance
    from caller_profiles p
    where p.customer_id = c.id`.execute(db);
  // A production database is not freshly bulk-loaded: vacuum and (on PostgreSQL) checkpoint now, so autovacuum and
  // the load's WAL flush do not run inside the measured seconds.
  await sql`vacuum analyze customers`.execute(db);
  await sql`vacuum analyze calls`.execute(db);
  await sql`vacuum analyze caller_profiles`.execute(db);
  if (kind === 'postgres') await sql`checkpoint`.execute(db);
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
    ['agent', "Yes, please bring the letter, last year's return and a photo ID. Would Thursday afternoon work?"],
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

/** What one load run sends: signed bodies are made where the load is generated. */
interface LoadSpec {
  url: string;
  bodies: 'inbound' | 'call_ended';
  tag: string;
  connections: number;
  overallRate?: number;
  duration?: number;
  amount?: number;
  /**
   * Open-loop arrivals at this many requests/s (Poisson, seeded), each request's latency counted from the moment
   * it was due to be sent, as calls ringing independently would arrive. Without it autocannon runs closed-loop.
   */
  arrivalRate?: number;
  /**
   * Open loop only: this many requests first, on the same connections and arrival process, whose answers are not
   * counted. A load process's first few hundred milliseconds (its own JIT, undici opening its connections, the
   * server accepting them) otherwise land in the measured tail: in session 9's 8,000-request blocks they were 20–70
   * of the 80 slowest answers.
   */
  warmup?: number;
}

interface LoadFigures {
  p50: number;
  p99: number;
  /** Open-loop runs only. */
  p999?: number;
  average: number;
  total: number;
  non2xx: number;
  errors: number;
  bodyBytes: number;
}

async function bodiesFor(spec: LoadSpec): Promise<Array<{ body: string; signature: string }>> {
  const stamp = Date.now();
  if (spec.bodies === 'inbound') {
    return signedBodies(2000, (i) => ({
      event: 'call_inbound',
      call_inbound: {
        agent_id: AGENT,
        from_number: phoneOf(((i * 37) % CUSTOMERS) + 1),
        to_number: '+12125550142',
        call_id: `bench_in_${spec.tag}_${i}_${stamp}`,
      },
    }));
  }
  const { transcript, transcript_object } = realisticTranscript(60);
  return signedBodies(CALL_ENDED_BODIES, (i) => ({
    event: 'call_ended',
    call: {
      call_type: 'phone_call',
      call_id: `bench_ended_${spec.tag}_${i}_${stamp}`,
      agent_id: AGENT,
      agent_version: 3,
      call_status: 'ended',
      direction: 'inbound',
      from_number: phoneOf(((i * 53) % CUSTOMERS) + 1),
      to_number: '+12125550142',
      start_timestamp: stamp - 360_000,
      end_timestamp: stamp,
      duration_ms: 360_000,
      transcript,
      transcript_object,
      disconnection_reason: 'user_hangup',
      recording_url: 'https://example.invalid/r.wav',
    },
  }));
}

/** Deterministic uniform [0, 1) numbers (mulberry32), so every run offers the same arrival pattern. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Open-loop load: requests are sent at Poisson arrival times whatever the server's answers are doing (as
 * independent phone calls would), and each latency runs from the request's due time, so a server that falls
 * behind is charged for the wait (no coordinated omission). Spare connections keep the client from queueing.
 */
async function openLoopLoad(spec: LoadSpec & { arrivalRate: number }, bodies: Array<{ body: string; signature: string }>): Promise<LoadFigures> {
  const target = new URL(spec.url);
  const pool = new Pool(target.origin, { connections: spec.connections, pipelining: 1 });
  const warmup = spec.warmup ?? 0;
  const count = warmup + (spec.amount ?? Math.round(spec.arrivalRate * (spec.duration ?? 10)));
  const random = seededRandom(20261125);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now() + 20;
  let due = started;
  for (let i = 0; i < count; i++) {
    due += (-Math.log(1 - random()) * 1000) / spec.arrivalRate;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentFor = due;
    const next = bodies[i % bodies.length]!;
    inFlight.push(
      pool
        .request({
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-retell-signature': next.signature },
          body: next.body,
        })
        .then(async (response) => {
          await response.body.dump();
          if (i < warmup) return;
          latencies.push(performance.now() - sentFor);
          if (response.statusCode < 200 || response.statusCode > 299) non2xx++;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    p999: Math.round(percentile(latencies, 99.9) * 10) / 10,
    average: count / seconds,
    total: count - warmup,
    non2xx,
    errors,
    bodyBytes: bodies[0]!.body.length,
  };
}

async function generateLoad(spec: LoadSpec): Promise<LoadFigures> {
  const bodies = await bodiesFor(spec);
  if (spec.arrivalRate) return openLoopLoad({ ...spec, arrivalRate: spec.arrivalRate }, bodies);
  const result = await cannon({
    url: spec.url,
    method: 'POST',
    connections: spec.connections,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    ...(spec.duration ? { duration: spec.duration } : {}),
    ...(spec.amount ? { amount: spec.amount } : {}),
    requests: [{ setupRequest: rotating(bodies) }],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    average: result.requests.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    bodyBytes: bodies[0]!.body.length,
  };
}

const LOAD_FLAG = '--retell-load';

/** Runs `generateLoad` in a child process (this file with `--retell-load <spec>`); its stdout is the figures' JSON. */
function loadFromChild(spec: LoadSpec): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/retell.bench.ts', LOAD_FLAG, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadFigures);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * What the comparison servers do with each body: `bare` only reads it (the issue's baseline); the floors add the
 * work every Retell webhook must do before it may answer, whatever else it does: the signature check the project
 * uses (node:crypto, `checkRetellSignature`)
 * over the raw body, then parsing the JSON (a malformed body must be refused with 400). They bound the ratio
 * any implementation can reach on this machine.
 */
type ComparisonServer = 'bare' | 'verify' | 'verify+parse';

async function comparisonServer(work: ComparisonServer): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      if (work !== 'bare') chunks.push(chunk);
    });
    request.on('end', () => {
      const answer = (status: number) => {
        response.statusCode = status;
        response.end();
      };
      if (work === 'bare') return answer(204);
      const body = Buffer.concat(chunks).toString('utf8');
      if (!checkRetellSignature(body, KEY, request.headers['x-retell-signature']).ok) return answer(401);
      if (work === 'verify+parse') JSON.parse(body);
      answer(204);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function comparisonRun(work: ComparisonServer, tag: string): Promise<LoadFigures> {
  const server = await comparisonServer(work);
  try {
    return await loadFromChild({ url: server.url, bodies: 'call_ended', tag, connections: 10, duration: 5 });
  } finally {
    await server.close();
  }
}

async function pendingEvents(db: Kysely<DB>): Promise<number> {
  const result = await sql<{ count: number }>`
    select count(*)::int as count from outbox where kind = 'retell_event' and status in ('scheduled', 'running', 'failed')`.execute(db);
  return result.rows[0]!.count;
}

/** Waits (bounded) until the worker has applied every stored event. */
async function backlogCleared(db: Kysely<DB>): Promise<void> {
  const deadline = Date.now() + 180_000;
  while ((await pendingEvents(db)) > 0) {
    if (Date.now() > deadline) throw new Error('the worker did not apply the stored call events within 3 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function cpuMsPerRequest(usage: NodeJS.CpuUsage, requests: number): number {
  return Math.round(((usage.user + usage.system) / 1000 / Math.max(1, requests)) * 100) / 100;
}

/** A database seeded with the customers and calls before any server opens it. */
interface SeededDatabase {
  kind: DatabaseKind;
  url?: string;
  dataDir?: string;
  seedSeconds: number;
  /** `caller_memory`'s definition as migrated (pg_get_functiondef), for the caller-profile A/B. */
  callerMemoryDefinition: string;
  /** Opens it again (for the in-process runs after the server process has stopped). */
  open(): Promise<TestDatabase>;
  /** Drops the PostgreSQL database or removes the PGlite data directory. */
  remove(): Promise<void>;
}

async function seededDatabase(kind: DatabaseKind): Promise<SeededDatabase> {
  const created = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const dataDir = created ? undefined : mkdtempSync(join(tmpdir(), 'sb-retell-bench-'));
  const open = async (): Promise<TestDatabase> => {
    const database = await openDatabase(created ? { url: created.url, poolSize: 10 } : { dataDir });
    return Object.assign(database, { url: created?.url, dispose: () => database.close() });
  };
  const database = await open();
  let seedSeconds: number;
  let callerMemoryDefinition: string;
  try {
    await migrateToLatest(database);
    // The office row the seeded customers reference; the server imports the office file over it when it starts.
    await seedClient(database, CLIENT);
    const started = performance.now();
    await seed(database.db, kind);
    seedSeconds = (performance.now() - started) / 1000;
    const definition = await sql<{ text: string }>`select pg_get_functiondef('caller_memory(text, text, timestamptz)'::regprocedure) as text`.execute(
      database.db,
    );
    callerMemoryDefinition = definition.rows[0]!.text;
  } finally {
    await database.close();
  }
  return {
    kind,
    url: created?.url,
    dataDir,
    seedSeconds,
    callerMemoryDefinition,
    open,
    async remove() {
      await created?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Open-loop requests each load process sends before the ones it counts (`LoadSpec.warmup`): one second at 500/s. */
const WARMUP = 500;

interface InboundFigures {
  inbound: LoadFigures;
  /** Server CPU ms per request of the open-loop run. */
  cpuMs: number;
  /**
   * The server's heap in use after a full GC, MB, before the warm-up and after the open-loop run (the main thread's;
   * in-process it holds the bench harness too).
   */
  heapMb: { before: number; after: number };
  /** autocannon's 500/s bursts; not in the inbound-only run. */
  bursts?: LoadFigures;
}

/**
 * Warm-up (JIT, statement caches), then 500 calls/s arriving independently (Poisson), latency from each call's due
 * time: what Retell's side sees. Server CPU per request is steadier than latency on a shared machine, and says how
 * many requests a core can answer. Then, unless inbound only, the earlier way for comparison: autocannon's rate
 * limit, which sends each second's 500 requests back to back on 10 connections and then waits for the next second
 * (bursts, not a rate), and whose coordinated-omission correction (expected interval 1 ms) adds a sample per
 * millisecond of each answer.
 */
async function measureInbound(baseUrl: string, kind: DatabaseKind, server: { cpuMs(): Promise<number>; heapMb(): Promise<number> }): Promise<InboundFigures> {
  const inboundUrl = `${baseUrl}/v1/retell/${CLIENT}/inbound`;
  const heapBefore = await server.heapMb();
  await loadFromChild({ url: inboundUrl, bodies: 'inbound', tag: `${kind}_warm`, connections: 5, amount: 500 });
  const before = await server.cpuMs();
  const inbound = await loadFromChild({ url: inboundUrl, bodies: 'inbound', tag: kind, connections: 10, arrivalRate: 500, duration: 10, warmup: WARMUP });
  // The server's CPU over the load process's warm-up and measured requests alike.
  const cpuMs = Math.round((((await server.cpuMs()) - before) / Math.max(1, inbound.total + WARMUP)) * 100) / 100;
  const heapMb = { before: heapBefore, after: await server.heapMb() };
  if (process.env.BENCH_RETELL_INBOUND_ONLY === '1') return { inbound, cpuMs, heapMb };
  const bursts = await loadFromChild({ url: inboundUrl, bodies: 'inbound', tag: `${kind}_bursts`, connections: 10, overallRate: 500, duration: 10 });
  return { inbound, cpuMs, heapMb, bursts };
}

/** One arm of the caller-profile A/B, per block: p99 and p99.9 (ms), server CPU ms per request, major GCs. */
interface ArmFigures {
  p99: number[];
  p999: number[];
  cpuMs: number[];
  majorGcs: number[];
}

interface ProfileAb {
  with: ArmFigures;
  without: ArmFigures;
  requestsPerBlock: number;
}

/** What the A/B needs of the server: CPU, a full GC (`heapMb`), and its garbage collections so far. */
interface MeasuredServer {
  cpuMs(): Promise<number>;
  heapMb(): Promise<number>;
  gc(): Promise<GcCounts>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : Math.round(((sorted[middle - 1]! + sorted[middle]!) / 2) * 100) / 100;
};

/**
 * Issue 17's "call_inbound p99 unchanged", measured as what the caller profile adds: the same server, database and
 * load, alternating blocks with `caller_memory` as migrated (reading the profile's five columns from the customer's
 * row, migration 0030) and the same function with those five replaced by nulls (so no profile is worded), in the
 * order ABBA ABBA … so drift falls on both arms. Everything else in the two bodies is identical, so the A/B measures
 * reading and wording the five columns. The "without" body is derived from the live definition and the bench fails
 * if the profile's columns are not there exactly once.
 *
 * Each block: the function replaced (PostgreSQL re-plans it), a full GC in the server, 500 warm-up requests, then
 * one load process that sends `WARMUP` uncounted requests and `requests` counted ones at 500/s open loop. Session 9
 * found what made the earlier blocks disagree (p99 6–50 ms in either arm): the load process's own first second,
 * and whether the block held a major GC (one cluster of 30–60 slow answers; the server has one every ~6,000
 * requests). The uncounted requests remove the first; the full GC before each block starts both arms at the same
 * point of the GC cycle, so an 8,000-request block holds the same major GCs unless an arm allocates more, which the
 * GC counts per block would show.
 */
async function measureProfileAb(
  baseUrl: string,
  kind: DatabaseKind,
  server: MeasuredServer,
  exec: (text: string) => Promise<unknown>,
  read: (text: string) => Promise<string>,
): Promise<ProfileAb> {
  const inboundUrl = `${baseUrl}/v1/retell/${CLIENT}/inbound`;
  const withProfile = await read(`select pg_get_functiondef('caller_memory(text, text, timestamptz)'::regprocedure) as text`);
  const columns = 'c.profile_intent_last, c.profile_needs, c.profile_language, c.profile_open_issue, c.profile_guidance';
  if (withProfile.split(columns).length !== 2 || withProfile.includes('caller_profiles'))
    throw new Error(`caller_memory no longer reads the profile as this A/B expects (once: "${columns}"; no caller_profiles); update measureProfileAb`);
  const withoutProfile = withProfile.replace(columns, 'null::text, null::text[], null::text, null::text, null::text');
  const blocks = Math.max(1, Number(process.env.BENCH_RETELL_PROFILE_AB_BLOCKS ?? 6));
  const requests = Math.max(500, Number(process.env.BENCH_RETELL_PROFILE_AB_REQUESTS ?? 8000));
  const arm = (): ArmFigures => ({ p99: [], p999: [], cpuMs: [], majorGcs: [] });
  const result: ProfileAb = { with: arm(), without: arm(), requestsPerBlock: requests };
  try {
    for (let block = 0; block < blocks * 2; block++) {
      const figuresOf = result[block % 4 === 0 || block % 4 === 3 ? 'with' : 'without'];
      await exec(figuresOf === result.with ? withProfile : withoutProfile);
      await server.heapMb();
      await loadFromChild({ url: inboundUrl, bodies: 'inbound', tag: `${kind}_ab_warm_${block}`, connections: 5, amount: 500 });
      const cpuBefore = await server.cpuMs();
      const gcBefore = await server.gc();
      const figures = await loadFromChild({
        url: inboundUrl,
        bodies: 'inbound',
        tag: `${kind}_ab_${block}`,
        connections: 10,
        arrivalRate: 500,
        amount: requests,
        warmup: WARMUP,
      });
      const cpuMs = ((await server.cpuMs()) - cpuBefore) / (figures.total + WARMUP);
      const gcAfter = await server.gc();
      if (figures.non2xx > 0 || figures.errors > 0) throw new Error(`profile A/B block ${block}: ${figures.non2xx} non-2xx, ${figures.errors} errors`);
      figuresOf.p99.push(figures.p99);
      figuresOf.p999.push(figures.p999 ?? Number.NaN);
      figuresOf.cpuMs.push(Math.round(cpuMs * 1000) / 1000);
      figuresOf.majorGcs.push(gcAfter.major - gcBefore.major);
    }
  } finally {
    await exec(withProfile);
  }
  return result;
}

function profileAbResults(ab: ProfileAb, kind: DatabaseKind, where: string): BenchResult[] {
  const withP99 = median(ab.with.p99);
  const withoutP99 = median(ab.without.p99);
  // "Unchanged": the profile arm's median p99 at most 10 % above the median without it.
  const ratio = withP99 / Math.max(withoutP99, 0.001);
  const ok = ratio <= 1.1;
  const blocks = (arm: ArmFigures) => arm.p99.map((p99, i) => `${p99}/${arm.p999[i]}`).join(', ');
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return [
    {
      name: 'call_inbound p99 with / without the caller profile',
      backend: kind,
      value: Math.round(ratio * 100) / 100,
      unit: 'ratio',
      target: '<= 1.1',
      ok,
      notes: `${where}; medians p99 ${withP99} vs ${withoutP99} ms, p99.9 ${median(ab.with.p999)} vs ${median(ab.without.p999)} ms, server CPU ${median(ab.with.cpuMs)} vs ${median(ab.without.cpuMs)} ms/request, major GCs ${sum(ab.with.majorGcs)} vs ${sum(ab.without.majorGcs)}; blocks p99/p99.9 with: ${blocks(ab.with)}; without: ${blocks(ab.without)}; ${ab.requestsPerBlock} requests at 500/s per block after ${WARMUP} uncounted, a full GC before each, ABBA order, a third of the callers have a profile`,
    },
  ];
}

const thisProcess: MeasuredServer = {
  async cpuMs() {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  },
  heapMb: async () => heapMb(),
  gc: async () => watchGc(),
};

async function benchBackend(kind: DatabaseKind): Promise<BenchResult[]> {
  let seeded: SeededDatabase | undefined;
  let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
  try {
    let measured: InboundFigures;
    let seedSeconds: number;
    let where: string;
    let profileAb: BenchResult[] = [];
    if (process.env.BENCH_RETELL_INBOUND_IN_PROCESS === '1') {
      // As before: the server in this process, started first, then seeded through its own connection.
      app = await startTestApp(kind);
      const seedStarted = performance.now();
      await seed(app.context.db, kind);
      seedSeconds = (performance.now() - seedStarted) / 1000;
      where = 'server: in the bench process, tsx';
      measured = await measureInbound(app.url!, kind, thisProcess);
      const db = app.context.db;
      if (process.env.BENCH_RETELL_PROFILE_AB !== '0')
        profileAb = profileAbResults(
          await measureProfileAb(
            app.url!,
            kind,
            thisProcess,
            (text) => sql.raw(text).execute(db),
            async (text) => (await sql.raw<{ text: string }>(text).execute(db)).rows[0]!.text,
          ),
          kind,
          where,
        );
    } else {
      seeded = await seededDatabase(kind);
      seedSeconds = seeded.seedSeconds;
      const { compiled, why } = compiledServer();
      where = compiled ? 'server: own process, compiled' : `server: own process, tsx (${why})`;
      const server = await startServerProcess('app', { databaseUrl: seeded.url, dataDir: seeded.dataDir, worker: false, compiled });
      try {
        measured = await measureInbound(`http://127.0.0.1:${server.port}`, kind, server);
        if (process.env.BENCH_RETELL_PROFILE_AB !== '0') {
          // The definition is read from the seeded database before the server opened it (PGlite: one connection).
          profileAb = profileAbResults(
            await measureProfileAb(
              `http://127.0.0.1:${server.port}`,
              kind,
              server,
              (text) => server.ask('sql', { text }),
              async () => seeded!.callerMemoryDefinition,
            ),
            kind,
            where,
          );
        }
      } finally {
        await server.stop();
      }
    }
    const { inbound, cpuMs: inboundCpuMs, heapMb: serverHeapMb, bursts } = measured;
    const p99 = inbound.p99;
    if (!bursts) {
      return [
        {
          name: 'call_inbound p99 at 500 req/s',
          backend: kind,
          value: inbound.p99,
          unit: 'ms',
          notes: `${where}; p50 ${inbound.p50} ms, p99.9 ${inbound.p999 ?? '?'} ms, ${inbound.total} requests, ${inbound.non2xx} non-2xx, ${inbound.errors} errors, server CPU ${inboundCpuMs} ms/request, server heap ${serverHeapMb.before} → ${serverHeapMb.after} MB (inbound only)`,
        },
        ...profileAb,
      ];
    }
    // The ingest runs below use the server in this process (they start and stop its worker and read its tables),
    // on the database already seeded.
    app ??= await startTestApp(kind, { database: await seeded!.open() });

    const webhookUrl = `${app.url}/v1/retell/${CLIENT}/webhook`;
    // Ingest is measured as a burst the door absorbs: events are stored and answered while the worker is paused
    // (as with the worker on another instance); the worker then applies the backlog, timed separately below.
    await loadFromChild({ url: webhookUrl, bodies: 'call_ended', tag: `${kind}_warm`, connections: 10, amount: 300 });
    const cpu = process.cpuUsage();
    const ours = await loadFromChild({ url: webhookUrl, bodies: 'call_ended', tag: `${kind}_run`, connections: 10, duration: 5 });
    const ingestCpuMs = cpuMsPerRequest(process.cpuUsage(cpu), ours.total);
    const backlog = await pendingEvents(app.context.db);
    const drainStarted = performance.now();
    await app.worker.start();
    await backlogCleared(app.context.db);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await app.worker.stop();
    const applied = await sql<{ count: number }>`
      select count(*)::int as count from webhook_events where idempotency_key like ${`%bench_ended_${kind}_run_%`} and status = 'processed'`.execute(
      app.context.db,
    );
    const accepted = ours.total - ours.non2xx;
    // The load cycles through its bodies in order, so the first CALL_ENDED_BODIES deliveries are distinct events.
    const distinctAccepted = Math.min(accepted, CALL_ENDED_BODIES);
    const baseline = await comparisonRun('bare', `${kind}_bare`);
    const verifyFloor = await comparisonRun('verify', `${kind}_verify`);
    const parseFloor = await comparisonRun('verify+parse', `${kind}_parse`);
    const ratio = ours.average / baseline.average;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    return [
      { name: 'seed 100k customers + 300k calls', backend: kind, value: Math.round(seedSeconds * 10) / 10, unit: 's' },
      { name: 'call_inbound p50 at 500 req/s', backend: kind, value: inbound.p50, unit: 'ms', notes: `${where}; load average ${load}` },
      {
        name: 'call_inbound p99 at 500 req/s',
        backend: kind,
        value: p99,
        unit: 'ms',
        target: '<= 10 ms',
        ok: p99 <= 10 && inbound.non2xx === 0 && inbound.errors === 0,
        notes: `${where}; p99.9 ${inbound.p999 ?? '?'} ms, ${inbound.total} requests, ${inbound.non2xx} non-2xx, ${inbound.errors} errors, server CPU ${inboundCpuMs} ms/request, server heap ${serverHeapMb.before} → ${serverHeapMb.after} MB`,
      },
      ...profileAb,
      {
        name: 'call_inbound p99, autocannon 500/s bursts',
        backend: kind,
        value: bursts.p99,
        unit: 'ms',
        notes: `${where}; p50 ${bursts.p50} ms; each second's 500 requests sent back to back on 10 connections (the earlier way of measuring)`,
      },
      {
        name: 'call_ended ingest vs bare node:http',
        backend: kind,
        value: Math.round(ratio * 100) / 100,
        unit: 'ratio',
        // The ">= 0.4 of bare" target is retired (issue 21): bare ran beside the load generator here, so it measured
        // the generator. bench/ingest.bench.ts measures ingest against the ceiling, every server in its own process.
        notes: `old method, see ingest.bench.ts; ${Math.round(ours.average)} vs ${Math.round(baseline.average)} req/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms, body ${Math.round(ours.bodyBytes / 1024)} KB, ${ours.non2xx} non-2xx, server CPU ${ingestCpuMs} ms/event, load average ${load}`,
      },
      {
        name: 'ceiling: node:http + HMAC verify only',
        backend: kind,
        value: Math.round((verifyFloor.average / baseline.average) * 100) / 100,
        unit: 'ratio',
        notes: `${Math.round(verifyFloor.average)} vs ${Math.round(baseline.average)} req/s: a server that only checks the signature; no webhook can pass this`,
      },
      {
        name: 'ceiling: node:http + verify + JSON.parse',
        backend: kind,
        value: Math.round((parseFloor.average / baseline.average) * 100) / 100,
        unit: 'ratio',
        notes: `${Math.round(parseFloor.average)} vs ${Math.round(baseline.average)} req/s: the work every webhook must do before answering, nothing stored`,
      },
      {
        name: 'call_ended applied by the worker afterwards',
        backend: kind,
        value: Math.round((backlog / Math.max(drainSeconds, 0.001)) * 10) / 10,
        unit: 'events/s',
        notes: `${backlog} stored events applied in ${Math.round(drainSeconds * 10) / 10} s (call row, caller, CRM sync and nurture planned per event)`,
      },
      {
        name: 'call_ended accepted but not applied',
        backend: kind,
        value: Math.max(0, distinctAccepted - applied.rows[0]!.count),
        unit: 'events',
        target: '0',
        // Requests still in flight when the load stopped are stored too, so applied may exceed the 2xx count.
        ok: applied.rows[0]!.count >= distinctAccepted,
        notes: `${accepted} answered 2xx (${distinctAccepted} distinct events, the rest re-deliveries answered duplicate), ${applied.rows[0]!.count} applied`,
      },
    ];
  } finally {
    await app?.dispose();
    if (seeded && app) await app.database.dispose();
    await seeded?.remove();
  }
}

export async function run(): Promise<BenchResult[]> {
  const backends = (process.env.BENCH_RETELL_BACKENDS ?? 'pglite,postgres').split(',') as DatabaseKind[];
  const results: BenchResult[] = [];
  for (const kind of backends) results.push(...(await benchBackend(kind)));
  return results;
}

const loadSpecAt = process.argv.indexOf(LOAD_FLAG);
if (loadSpecAt > 0) {
  process.stdout.write(`${JSON.stringify(await generateLoad(JSON.parse(process.argv[loadSpecAt + 1]!) as LoadSpec))}\n`);
}
