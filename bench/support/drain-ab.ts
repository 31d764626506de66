/**
 * The worker alone on a backlog, for comparing two versions of the code in one session (A/B, alternated):
 * `V=A KIND=pglite|postgres S=6 node bin/run-ts.js bench/support/drain-ab.ts` stores S seconds of the realistic
 * mix with the worker off, then starts the worker and prints one JSON line: stored events, applied events/s, and
 * the server's CPU (every thread) per applied event. `PROF=file` writes the main thread's CPU profile of the drain.
 */
import { startServerProcess } from './server-process.js';
import { runLoad } from './load-process.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { createPostgresDatabase } from '../../test/support/databases.js';

const kind = process.env.KIND ?? 'pglite';
const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
const app = await startServerProcess('app', { worker: false, databaseUrl: database?.url });
const base = {
  port: app.port,
  path: '/v1/retell/smart-tax-nation/webhook',
  apiKey: DEMO_SECRETS.RETELL_API_KEY,
  mix: 'mix' as const,
  count: 60000,
  mode: 'closed' as const,
  connections: 10,
};
await runLoad({ ...base, tag: 'd' + Date.now(), durationS: Number(process.env.S ?? 6) });
const stored = (await app.outbox(0, 1)).pending;
if (process.env.PROF) await app.profile();
const c0 = await app.cpuMs();
const started = performance.now();
await app.worker(true);
for (;;) {
  const figures = await app.outbox(0, 1);
  if (figures.pending === 0 || performance.now() - started > 600_000) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const seconds = (performance.now() - started) / 1000;
const c1 = await app.cpuMs();
if (process.env.PROF) await app.profile(process.env.PROF);
console.log(
  JSON.stringify({
    variant: process.env.V,
    kind,
    stored,
    seconds: +seconds.toFixed(2),
    appliedPerS: Math.round(stored / seconds),
    cpuPerEvent: +((c1 - c0) / stored).toFixed(3),
  }),
);
await app.stop();
await database?.drop();
