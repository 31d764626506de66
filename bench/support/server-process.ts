/**
 * A server under load in a process of its own, for the ingest benchmark, so that neither the load generator nor
 * another server shares its event loop:
 * - `bare`: node:http that reads the body and answers 204;
 * - `ceiling`: node:http doing exactly what a webhook must do before it may answer: the HMAC signature check
 *   (node:crypto, `checkRetellSignature`, as the project does) over the raw body and `JSON.parse`;
 * - `app`: the whole Switchboard (`startSwitchboard`, demo mode, real clock) on PGlite in a data directory (as
 *   `npm start` runs it; a fresh one, or `dataDir` prepared beforehand) or on PostgreSQL (`DATABASE_URL`), with the
 *   outbox worker on or off. With `compiled` it runs from `dist/` (`npm run build`) through
 *   bench/support/compiled-server.js, without tsx, as production runs it (`cpu`, `worker` and `profile` IPC only).
 *
 * Prints `{"port": n}` when it listens, then answers IPC requests (bench/support/child-service.ts):
 * `cpu` → CPU ms used so far (every thread: the PGlite thread counts); `heap` → the main thread's heap in use after a full GC, MB; `worker` `{ on }` → starts or stops the
 * outbox worker; `outbox` `{ from, to }` → the stored call events still to apply and, for those applied between the
 * two epoch ms, how many and their accepted → applied delays.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSwitchboard } from '../../src/main.js';
import { checkRetellSignature } from '../../src/providers/retell/signature.js';
import { RETELL_EVENT_KIND } from '../../src/webhooks/intake.js';
import { startChildService } from './child-service.js';
import { watchGc, type GcCounts } from './gc-counts.js';

export type ServerKind = 'bare' | 'ceiling' | 'app';

export interface OutboxFigures {
  /** retell_event rows not yet done. */
  pending: number;
  /** retell_event rows done with finished_at in [from, to). */
  applied: number;
  /** accepted (row created) → applied (handler finished) delays of those rows, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Other outbox rows (texts, CRM syncs …) the applied events planned that are due now or running. */
  followUpsPending: number;
}

export interface ServerProcess {
  port: number;
  /** Any other IPC request the child answers. */
  ask(type: string, args?: unknown): Promise<unknown>;
  cpuMs(): Promise<number>;
  /** The main thread's V8 heap in use after a full GC, MB. */
  heapMb(): Promise<number>;
  /** The main thread's garbage collections so far (`watchGc`). */
  gc(): Promise<GcCounts>;
  /** Starts the main thread's CPU profile; called again, writes it to `file` (a .cpuprofile). */
  profile(file?: string): Promise<void>;
  worker(on: boolean): Promise<void>;
  outbox(from: number, to: number): Promise<OutboxFigures>;
  stop(): Promise<void>;
}

const here = fileURLToPath(import.meta.url);
const compiledEntry = fileURLToPath(new URL('./compiled-server.js', import.meta.url));
const compiledMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const sources = fileURLToPath(new URL('../../src', import.meta.url));

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestSourceMs(path) : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? statSync(path).mtimeMs : 0,
    );
  }
  return newest;
}

/**
 * Whether the compiled server can run: `dist/main.js` exists, is not older than any file in src/ (a stale build
 * would measure other code) and BENCH_SERVER_FROM_SOURCE is not 1. `why` says what runs otherwise.
 */
export function compiledServer(): { compiled: boolean; why?: string } {
  if (process.env.BENCH_SERVER_FROM_SOURCE === '1') return { compiled: false, why: 'BENCH_SERVER_FROM_SOURCE=1' };
  if (!existsSync(compiledMain)) return { compiled: false, why: 'no dist/: run npm run build' };
  if (statSync(compiledMain).mtimeMs < newestSourceMs(sources)) return { compiled: false, why: 'dist/ older than src/: run npm run build' };
  return { compiled: true };
}

export async function startServerProcess(
  kind: ServerKind,
  options: { databaseUrl?: string; dataDir?: string; worker?: boolean; compiled?: boolean } = {},
): Promise<ServerProcess> {
  if (options.compiled && kind !== 'app') throw new Error('only the app server has a compiled entry');
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = await startChildService<{ port: number }, unknown>({
    entry: options.compiled ? compiledEntry : here,
    plain: options.compiled === true,
    name: `${kind} server process`,
    answerKey: 'answer',
    nodeArgs,
    env: {
      SWITCHBOARD_BENCH_SERVER: kind,
      SWITCHBOARD_BENCH_DATABASE_URL: options.databaseUrl ?? '',
      SWITCHBOARD_BENCH_DATA_DIR: options.dataDir ?? '',
      SWITCHBOARD_BENCH_WORKER: options.worker ? '1' : '0',
    },
    timeoutMs: 120_000,
  });
  return {
    port: child.ready.port,
    ask: (type, args) => child.ask(type, args),
    cpuMs: () => child.ask('cpu') as Promise<number>,
    gc: () => child.ask('gc') as Promise<GcCounts>,
    heapMb: () => child.ask('heap') as Promise<number>,
    profile: async (file) => void (await child.ask('profile', { file })),
    worker: async (on) => void (await child.ask('worker', { on })),
    outbox: (from, to) => child.ask('outbox', { from, to }) as Promise<OutboxFigures>,
    stop: () => child.stop(),
  };
}

/** The main thread's V8 heap still in use after a full GC, MB (what every major GC has to mark). */
export function heapMb(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
}

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

async function listenPlain(work: 'bare' | 'ceiling'): Promise<number> {
  const key = DEMO_SECRETS.RETELL_API_KEY;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      if (work !== 'bare') chunks.push(chunk);
    });
    request.on('end', () => {
      if (work === 'ceiling') {
        const body = Buffer.concat(chunks).toString('utf8');
        if (!checkRetellSignature(body, key, request.headers['x-retell-signature']).ok) {
          response.statusCode = 401;
          return response.end();
        }
        try {
          JSON.parse(body);
        } catch {
          response.statusCode = 400;
          return response.end();
        }
      }
      response.statusCode = 204;
      response.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function serve(kind: ServerKind): Promise<void> {
  const handlers = new Map<string, (args: Record<string, unknown>) => Promise<unknown>>();
  handlers.set('cpu', async () => cpuMs());
  handlers.set('heap', async () => heapMb());
  watchGc();
  handlers.set('gc', async () => watchGc());
  // BENCH_PROFILE: `profile` { file } starts the main thread's CPU profile, or writes it to `file` when running.
  let session: import('node:inspector/promises').Session | undefined;
  handlers.set('profile', async (args) => {
    const { Session } = await import('node:inspector/promises');
    if (!session) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return null;
    }
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    (await import('node:fs')).writeFileSync(String(args.file), JSON.stringify(profile));
    return null;
  });
  let port: number;
  let close: () => Promise<void> = async () => undefined;
  if (kind !== 'app') {
    port = await listenPlain(kind);
  } else {
    const databaseUrl = process.env.SWITCHBOARD_BENCH_DATABASE_URL || undefined;
    // A data directory given by the parent (seeded beforehand) is the parent's to remove.
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
    port = Number(new URL(app.url!).port);
    const db = app.context.db;
    // `sql` { text }: runs one statement on the server's own database (the call_inbound profile A/B swaps
    // caller_memory's definition between blocks; a PGlite data directory has no second connection).
    handlers.set('sql', async (args) => void (await sql.raw(String(args.text)).execute(db)));
    handlers.set('worker', async (args) => {
      if (args.on) await app.worker.start();
      else await app.worker.stop();
      return null;
    });
    handlers.set('outbox', async (args) => {
      const from = new Date(Number(args.from));
      const to = new Date(Number(args.to));
      const pending = await sql<{ count: number }>`
        select count(*)::int as count from outbox where kind = ${RETELL_EVENT_KIND} and status <> 'done'`.execute(db);
      const followUps = await sql<{ count: number }>`
        select count(*)::int as count from outbox
        where kind <> ${RETELL_EVENT_KIND} and (status = 'running' or (status in ('scheduled', 'failed') and run_at <= now()))`.execute(db);
      const delays = await sql<{ ms: number }>`
        select extract(epoch from (finished_at - created_at)) * 1000 as ms from outbox
        where kind = ${RETELL_EVENT_KIND} and status = 'done' and finished_at >= ${from} and finished_at < ${to}
        order by ms`.execute(db);
      const sorted = delays.rows.map((row) => Number(row.ms));
      const at = (p: number) => (sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!));
      const figures: OutboxFigures = {
        pending: pending.rows[0]!.count,
        applied: sorted.length,
        p50: at(50),
        p99: at(99),
        max: at(100),
        followUpsPending: followUps.rows[0]!.count,
      };
      return figures;
    });
    close = async () => {
      await app.close();
      if (dataDir && !givenDataDir) rmSync(dataDir, { recursive: true, force: true });
    };
  }
  process.on('message', (request: { type: string; id: number; args?: Record<string, unknown> }) => {
    const handler = handlers.get(request.type);
    if (!handler) return;
    void handler(request.args ?? {}).then((answer) => process.send?.({ id: request.id, answer }));
  });
  process.once('disconnect', () => {
    void close().finally(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

const serverKind = process.env.SWITCHBOARD_BENCH_SERVER as ServerKind | undefined;
if (serverKind) await serve(serverKind);
