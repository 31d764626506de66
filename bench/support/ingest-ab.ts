/**
 * One project ingest measurement for comparing two versions of the code in the same session (A/B, alternated):
 * `V=A KIND=pglite|postgres WORKER=0|1 S=8 node bin/run-ts.js bench/support/ingest-ab.ts` prints one JSON line
 * (req/s, p50/p99, server CPU per request, events applied during the load and their p99 delay). `PROF=file`
 * writes the main thread's CPU profile of the measured seconds.
 */
import { startServerProcess } from './server-process.js';
import { runLoad } from './load-process.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { createPostgresDatabase } from '../../test/support/databases.js';
const kind = process.env.KIND ?? 'pglite';
const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
const app = await startServerProcess('app', { worker: process.env.WORKER !== '0', databaseUrl: database?.url });
const base = {
  port: app.port,
  path: '/v1/retell/smart-tax-nation/webhook',
  apiKey: DEMO_SECRETS.RETELL_API_KEY,
  mix: 'mix' as const,
  count: 60000,
  mode: 'closed' as const,
  connections: 10,
};
await runLoad({ ...base, tag: 'w' + Date.now(), durationS: 2 });
if (process.env.PROF) await app.profile();
const c0 = await app.cpuMs();
const load = await runLoad({ ...base, tag: 'm' + Date.now(), durationS: Number(process.env.S ?? 8) });
const c1 = await app.cpuMs();
if (process.env.PROF) await app.profile(process.env.PROF);
const o = await app.outbox(load.startedAt, load.endedAt);
console.log(
  JSON.stringify({
    variant: process.env.V,
    kind,
    worker: process.env.WORKER !== '0',
    rps: load.perSecond,
    p50: load.p50,
    p99: load.p99,
    cpuPerReq: +((c1 - c0) / load.ok).toFixed(3),
    appliedPerS: Math.round(o.applied / load.seconds),
    delayP99: o.p99,
    non2xx: load.non2xx,
  }),
);
await app.stop();
await database?.drop();
