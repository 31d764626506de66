/**
 * Webhook ingest and end-to-end application of Retell call events (issue 21), every party in its own process:
 * a bare node:http server (204), the ceiling (node:http doing exactly what a webhook must do before answering:
 * the HMAC signature check with node:crypto and JSON.parse), the project (`startSwitchboard`, PGlite in a data
 * directory as `npm start` runs it, or PostgreSQL), and one load generator process that builds and signs every
 * request before it starts and then only writes bytes (bench/support/load-process.ts). The same bodies go to every
 * server; each is a distinct event (bench/support/bodies.ts): the realistic mix (per call: call_started ~1 KB, ten
 * transcript_updated growing 2→22 KB, call_ended ~52 KB, call_analyzed ~56 KB; mean ~17 KB) and a fixed 53 KB
 * call_ended kept for comparison.
 *
 * Per backend: ingest req/s, p99 and server CPU per request for bare, ceiling and the project with the worker off
 * and on (closed loop, 10 connections, after a warm-up), the ratio project / ceiling; the worker's rate alone on
 * the backlog; applied events/s sustained for 60 s at the target rate offered open-loop (accepted → the call row
 * updated and its follow-ups queued: the retell_event outbox row done); accepted → applied p99 at 40 events/s and
 * at 400 events/s.
 *
 * `BENCH_QUICK=1` shortens every run (for working on it; figures are then rougher); `BENCH_DB=pglite|postgres`
 * runs one backend.
 */
import { readFileSync } from 'node:fs';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import type { DatabaseKind } from '../src/db/database.js';
import { createPostgresDatabase } from '../test/support/databases.js';
import { BENCH_CLIENT, type BodyMix } from './support/bodies.js';
import { runLoad, type LoadFigures, type LoadSpec } from './support/load-process.js';
import { startServerProcess, type OutboxFigures, type ServerKind, type ServerProcess } from './support/server-process.js';
import type { BenchResult } from './types.js';

const QUICK = process.env.BENCH_QUICK === '1';
const INGEST_S = QUICK ? 4 : 10;
const SUSTAIN_S = QUICK ? 15 : 60;
const DELAY_S = QUICK ? 8 : 20;
const CONNECTIONS = 10;
const WEBHOOK = `/v1/retell/${BENCH_CLIENT}/webhook`;
const TARGETS = {
  ingestRatio: { pglite: 0.3, postgres: 0.5 },
  applied: { pglite: 500, postgres: 1000 },
  delayP99At40: 500,
};

let runs = 0;
function spec(port: number, mix: BodyMix, fields: Partial<LoadSpec>): LoadSpec {
  return {
    port,
    path: WEBHOOK,
    apiKey: DEMO_SECRETS.RETELL_API_KEY,
    mix,
    tag: `${Date.now().toString(36)}_${runs++}`,
    count: 60_000,
    mode: 'closed',
    connections: CONNECTIONS,
    durationS: INGEST_S,
    ...fields,
  };
}

interface Measured {
  load: LoadFigures;
  cpuMsPerRequest: number;
}

/** One closed-loop run with the server's CPU per answered request. */
async function closedRun(server: ServerProcess, mix: BodyMix, cycle: boolean): Promise<Measured> {
  const before = await server.cpuMs();
  const load = await runLoad(spec(server.port, mix, { cycle }));
  const after = await server.cpuMs();
  return { load, cpuMsPerRequest: Math.round(((after - before) / Math.max(1, load.ok + load.non2xx)) * 1000) / 1000 };
}

async function plain(kind: ServerKind, mix: BodyMix): Promise<Measured> {
  const server = await startServerProcess(kind);
  try {
    await runLoad(spec(server.port, mix, { durationS: 2, cycle: true }));
    return await closedRun(server, mix, true);
  } finally {
    await server.stop();
  }
}

/**
 * Waits (bounded) until every stored event is applied and, with `followUps`, until the follow-ups they planned that
 * are due have run too: the worker claims every kind in run_at order, so a backlog of texts and CRM syncs from one
 * run would otherwise delay the next run's events.
 */
async function waitApplied(server: ServerProcess, boundS = 300, followUps = true): Promise<OutboxFigures> {
  const deadline = Date.now() + boundS * 1000;
  for (;;) {
    const figures = await server.outbox(0, Date.now() + 1);
    if ((figures.pending === 0 && (!followUps || figures.followUpsPending === 0)) || Date.now() > deadline) return figures;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const describe = (m: Measured) =>
  `${m.load.perSecond} req/s, p50 ${m.load.p50} ms, p99 ${m.load.p99} ms, ${m.cpuMsPerRequest} ms CPU/req, ${m.load.non2xx} non-2xx, ${m.load.errors} errors`;

async function benchBackend(kind: DatabaseKind): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const bare = await plain('bare', 'mix');
  const ceiling = await plain('ceiling', 'mix');
  const ceiling53 = await plain('ceiling', 'ended53');
  results.push(
    { name: 'ingest mix: bare node:http (204)', backend: kind, value: bare.load.perSecond, unit: 'req/s', notes: describe(bare) },
    {
      name: 'ingest mix: ceiling (node:http + HMAC verify + JSON.parse)',
      backend: kind,
      value: ceiling.load.perSecond,
      unit: 'req/s',
      notes: describe(ceiling),
    },
    { name: 'ingest 53 KB: ceiling', backend: kind, value: ceiling53.load.perSecond, unit: 'req/s', notes: describe(ceiling53) },
  );

  const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const app = await startServerProcess('app', { databaseUrl: database?.url, worker: false });
  try {
    // Worker off: the door alone (events stored and answered), then the worker alone on the backlog.
    await runLoad(spec(app.port, 'mix', { durationS: 2 }));
    const off = await closedRun(app, 'mix', false);
    const off53 = await closedRun(app, 'ended53', false);
    const backlog = (await app.outbox(0, 1)).pending;
    const drainStarted = performance.now();
    await app.worker(true);
    const drained = await waitApplied(app, 300, false);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await waitApplied(app);

    // Worker on (as `npm start` runs): ingest while the worker applies what arrives.
    const on = await closedRun(app, 'mix', false);
    await waitApplied(app);

    // Applied events/s sustained: the target rate offered open-loop for SUSTAIN_S seconds, worker on.
    const offered = TARGETS.applied[kind];
    const sustained = await runLoad(spec(app.port, 'mix', { mode: 'open', rate: offered, durationS: SUSTAIN_S, connections: 20 }));
    const inWindow = await app.outbox(sustained.startedAt, sustained.endedAt);
    const afterSustain = await waitApplied(app, 300, false);
    await waitApplied(app);
    const appliedPerSecond = Math.round(inWindow.applied / ((sustained.endedAt - sustained.startedAt) / 1000));

    // Accepted → applied at 40 events/s and at 10× that.
    const delays: Array<{ rate: number; figures: OutboxFigures; load: LoadFigures }> = [];
    for (const rate of [40, 400]) {
      const load = await runLoad(spec(app.port, 'mix', { mode: 'open', rate, durationS: DELAY_S, connections: 10 }));
      await waitApplied(app);
      delays.push({ rate, load, figures: await app.outbox(load.startedAt, Date.now() + 1) });
    }

    const ratioOff = off.load.perSecond / ceiling.load.perSecond;
    const ratioOn = on.load.perSecond / ceiling.load.perSecond;
    const target = TARGETS.ingestRatio[kind];
    results.push(
      {
        name: 'ingest mix: project, worker off',
        backend: kind,
        value: off.load.perSecond,
        unit: 'req/s',
        notes: `${describe(off)}; mean body ${Math.round(off.load.meanBodyBytes / 1024)} KB`,
      },
      {
        name: 'ingest mix: project / ceiling, worker off',
        backend: kind,
        value: round(ratioOff),
        unit: 'ratio',
        notes: `${off.load.perSecond} / ${ceiling.load.perSecond} req/s`,
      },
      { name: 'ingest mix: project, worker on', backend: kind, value: on.load.perSecond, unit: 'req/s', notes: describe(on) },
      {
        name: 'ingest mix: project / ceiling, worker on',
        backend: kind,
        value: round(ratioOn),
        unit: 'ratio',
        target: `>= ${target}`,
        ok: ratioOn >= target && on.load.non2xx === 0 && on.load.errors === 0,
        notes: `${on.load.perSecond} / ${ceiling.load.perSecond} req/s (bare ${bare.load.perSecond})`,
      },
      {
        name: 'ingest 53 KB: project, worker off',
        backend: kind,
        value: off53.load.perSecond,
        unit: 'req/s',
        notes: `${describe(off53)}; ratio to ceiling ${round(off53.load.perSecond / ceiling53.load.perSecond)}`,
      },
      {
        name: 'applied by the worker alone (backlog)',
        backend: kind,
        value: Math.round(backlog / drainSeconds),
        unit: 'events/s',
        notes: `${backlog} stored events applied in ${round(drainSeconds, 1)} s with nothing arriving; ${drained.pending} left`,
      },
      {
        name: `applied events/s sustained ${SUSTAIN_S} s (offered ${offered}/s)`,
        backend: kind,
        value: appliedPerSecond,
        unit: 'events/s',
        target: `>= ${offered}`,
        ok: appliedPerSecond >= offered * 0.98 && sustained.non2xx === 0 && sustained.errors === 0,
        notes: `${sustained.ok} accepted at ${sustained.perSecond}/s (answer p99 ${sustained.p99} ms), ${inWindow.applied} applied in the window, accepted→applied p50 ${inWindow.p50} / p99 ${inWindow.p99} ms, ${inWindow.pending} still to apply at its end (${afterSustain.pending} after waiting)`,
      },
      ...delays.map(({ rate, figures, load }) => ({
        name: `accepted→applied p99 at ${rate} events/s`,
        backend: kind,
        value: figures.p99,
        unit: 'ms',
        ...(rate === 40 ? { target: `<= ${TARGETS.delayP99At40} ms`, ok: figures.p99 <= TARGETS.delayP99At40 && load.non2xx === 0 } : {}),
        notes: `p50 ${figures.p50} ms, max ${figures.max} ms over ${figures.applied} events (${load.ok} accepted, answer p99 ${load.p99} ms)`,
      })),
      {
        name: 'worker',
        backend: kind,
        value: 1,
        unit: 'on/off',
        notes: 'worker on for "worker on", the sustained and delay runs; off for "worker off" (events stored, applied later)',
      },
    );
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    results.at(-1)!.notes += `; load average at the end ${load}`;
    return results;
  } finally {
    await app.stop();
    await database?.drop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const only = process.env.BENCH_DB as DatabaseKind | undefined;
  const out: BenchResult[] = [];
  for (const kind of ['pglite', 'postgres'] as const) {
    if (only && only !== kind) continue;
    out.push(...(await benchBackend(kind)));
  }
  return out;
}
