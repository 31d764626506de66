/**
 * The compiled Switchboard (`dist/`, from `npm run build`) in a process of its own, for the benchmarks: the `app`
 * server of server-process.ts run by node without tsx, so the server's code and heap are what `npm start` runs in
 * production (under tsx the retained heap is mostly tsx's module loading, which makes every major GC dearer).
 * Started by `startServerProcess('app', { compiled: true, … })` with the same environment; prints `{"port": n}`
 * when it listens, then answers the `cpu`, `heap`, `gc`, `sql`, `worker` and `profile` IPC requests as server-process.ts does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import { silentLogger } from '../../dist/log/logger.js';
import { startSwitchboard } from '../../dist/main.js';
import { watchGc } from './gc-counts.js';

const databaseUrl = process.env.SWITCHBOARD_BENCH_DATABASE_URL || undefined;
const givenDataDir = process.env.SWITCHBOARD_BENCH_DATA_DIR || undefined;
const dataDir = databaseUrl ? undefined : (givenDataDir ?? mkdtempSync(join(tmpdir(), 'sb-bench-')));
const app = await startSwitchboard({
  logger: silentLogger(),
  worker: process.env.SWITCHBOARD_BENCH_WORKER === '1',
  env: {
    SWITCHBOARD_MODE: 'demo',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    CONFIG_DIR: 'config/clients',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATA_DIR: 'memory://' } : { DATA_DIR: dataDir }),
  },
});

watchGc();

let session;
const handlers = {
  cpu: async () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  },
  heap: async () => {
    setFlagsFromString('--expose-gc');
    runInNewContext('gc')();
    return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
  },
  gc: async () => watchGc(),
  sql: async (args) => void (await sql.raw(String(args.text)).execute(app.context.db)),
  worker: async (args) => {
    if (args.on) await app.worker.start();
    else await app.worker.stop();
    return null;
  },
  profile: async (args) => {
    if (!session) {
      const { Session } = await import('node:inspector/promises');
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return null;
    }
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    writeFileSync(String(args.file), JSON.stringify(profile));
    return null;
  },
};

process.on('message', (request) => {
  const handler = handlers[request.type];
  if (!handler) return;
  void handler(request.args ?? {}).then((answer) => process.send?.({ id: request.id, answer }));
});
process.once('disconnect', () => {
  void app.close().finally(() => {
    if (dataDir && !givenDataDir) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
process.stdout.write(`${JSON.stringify({ port: Number(new URL(app.url).port) })}\n`);
