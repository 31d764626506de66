/**
 * Opens the database: PGlite (PostgreSQL compiled to WASM) in DATA_DIR by default, or a real PostgreSQL
 * server through `pg` when DATABASE_URL is set. Both speak the same SQL, run the same migrations and
 * support LISTEN/NOTIFY, which carries outbox wake-ups and live events.
 */
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { addStep, timed } from '../core/step-times.js';
import type { Logger } from '../log/logger.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { PGliteThread, PGliteThreadDialect } from './pglite-thread.js';
import type { DB } from './schema.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Kysely<DB>;
  /** Where the data lives, without credentials (for banners and /readyz). */
  readonly location: string;
  /** Subscribes to a NOTIFY channel; the returned function unsubscribes. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… — when set, a real PostgreSQL server is used. */
  url?: string;
  /** PGlite data directory; `memory://` (or undefined with memory: true) keeps everything in memory. */
  dataDir?: string;
  memory?: boolean;
  logger?: Logger;
  poolSize?: number;
}

/** Each statement's time, for a measured function request (src/core/step-times.ts); nothing otherwise. */
const stepLog = (event: LogEvent) => addStep('db:query', event.queryDurationMillis);

// int8 (bigserial ids, counts) arrive as strings from pg by default; our ids stay far below 2^53.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value) => Number.parseInt(value, 10));

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options);
  return openPglite(options);
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  const inMemory = options.memory || !options.dataDir || options.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  if (!inMemory) lock = await lockDataDir(options.dataDir!);
  // The database runs on its own thread, so its statements never stall the HTTP event loop (pglite-thread.ts).
  const pglite = new PGliteThread(inMemory ? undefined : options.dataDir, (error) => {
    // As when PGlite ran in the main thread and aborted: nothing can be stored any more, so the process ends
    // (its supervisor restarts it; the lock dies with the process, so the restart takes it over).
    options.logger?.fatal({ err: error }, 'The embedded database stopped; exiting');
    process.exitCode = 1;
    setImmediate(() => {
      throw error;
    });
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    await pglite.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  const db = new Kysely<DB>({ dialect: new PGliteThreadDialect(pglite), log: stepLog });
  let closed = false;
  return {
    kind: 'pglite',
    db,
    location: inMemory ? 'PGlite (in memory)' : `PGlite in ${options.dataDir}`,
    async listen(channel, handler) {
      const unlisten = await pglite.listen(channel, handler);
      return async () => {
        if (!pglite.closed) await unlisten();
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // A terminated backend (server restart, pg_terminate_backend) surfaces here; the pool replaces it.
  const lost = (error: Error & { code?: string }) =>
    options.logger?.warn({ err: { message: error.message, code: error.code } }, 'PostgreSQL connection lost; reconnecting');
  pool.on('error', lost);
  // A backend terminated while its client is checked out (inside a transaction, between two queries) emits
  // 'error' on that client, not the pool; without a listener Node ends the whole process. The request using it
  // fails (5xx, so Retell retries) and the pool discards the client on release.
  pool.on('connect', (client) => client.on('error', lost));
  // The wait for a pooled connection is a step of its own (a statement's time starts once it has one).
  const timedPool = { options: pool.options, Client: pg.Client, connect: () => timed('db:wait', () => pool.connect()), end: () => pool.end() };
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: timedPool }), log: stepLog });
  await sql`select 1`.execute(db);
  const listener = new PgListener(url, options.logger);
  let closed = false;
  return {
    kind: 'postgres',
    db,
    location: `PostgreSQL ${describeUrl(url)}`,
    listen: (channel, handler) => listener.listen(channel, handler),
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await db.destroy();
    },
  };
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** One dedicated connection for LISTEN that re-subscribes after the server drops it. */
class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    const client = await this.connect();
    if (isNew) await client.query(`LISTEN ${quoteIdent(channel)}`);
    return async () => {
      set.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = (async () => {
        const client = new pg.Client({ connectionString: this.url });
        client.on('notification', (message) => {
          for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
        });
        client.on('error', (error) => this.lost(client, error));
        client.on('end', () => this.lost(client));
        await client.connect();
        for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
        this.client = client;
        return client;
      })().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.logger?.warn({ err: error }, 'LISTEN connection lost; reconnecting');
    const retry = () => {
      if (this.closed) return;
      this.connect().catch(() => {
        this.retryTimer = setTimeout(retry, 1000);
        this.retryTimer.unref();
      });
    };
    this.retryTimer = setTimeout(retry, 200);
    this.retryTimer.unref();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
