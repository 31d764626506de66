/**
 * PGlite on a thread of its own. PGlite is PostgreSQL compiled to WASM: every statement runs synchronously on
 * the thread that owns it, so in the main thread a planner run, a commit or its garbage stalls every request
 * (the ringing phone's call_inbound answer waits behind a webhook's insert). Here the database owns a worker
 * thread and the main thread only sends statements and receives rows, as it would with a PostgreSQL server.
 *
 * `PGliteThread` offers statements, transactions (`begin`/`queryIn`/`commit`/`rollback`; BEGIN travels with the
 * transaction's first statement),
 * `listen` and `close`; `PGliteThreadDialect` puts Kysely on it. Rows (int8 as number, Date, parsed jsonb) and
 * error fields (`code`, `constraint`, `detail`, …) are what an in-thread PGlite gives. In the thread, each SQL
 * text is prepared once and run in one exchange, and one session runs at a time, as on PGlite's one connection.
 *
 * The thread's code is plain JavaScript evaluated in the worker (not a module file), so the same code runs
 * from the TypeScript sources (tsx, vitest) and from the compiled build; it loads PGlite by its resolved URL.
 */
import { Worker } from 'node:worker_threads';
import {
  PGliteAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult as KyselyQueryResult,
} from 'kysely';

interface QueryResult {
  rows: unknown[];
  affectedRows?: number;
}

interface SerializedError {
  message: string;
  name: string;
  stack?: string;
  fields: Record<string, unknown>;
}

type Reply = { type: 'reply'; id: number; result?: unknown; error?: SerializedError };
type Notification = { type: 'notify'; listener: number; payload: string };
type Ready = { type: 'ready'; error?: SerializedError };
type ThreadMessage = Reply | Notification | Ready;

// Written to run whether Node evaluates it as a CommonJS script or (with a module loader hook registered, as tsx
// does) as an ES module: no require, no top-level await, no import declarations.
const THREAD_SOURCE = String.raw`
const INT8_OID = 20;

function serializeError(error) {
  const fields = {};
  if (error && typeof error === 'object') {
    for (const key of Object.keys(error)) {
      const value = error[key];
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
    }
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    name: error instanceof Error ? error.name : 'Error',
    stack: error instanceof Error ? error.stack : undefined,
    fields,
  };
}

(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  let db;
  let protocol;
  let parse;
  try {
    const pglite = await import(workerData.moduleUrl);
    protocol = pglite.protocol.serialize;
    parse = pglite.parse;
    db = new pglite.PGlite(workerData.dataDir, { parsers: { [INT8_OID]: (value) => Number.parseInt(value, 10) } });
    await db.waitReady;
  } catch (error) {
    parentPort.postMessage({ type: 'ready', error: serializeError(error) });
    return;
  }
  const reply = (id, result) => parentPort.postMessage({ type: 'reply', id, result });
  const fail = (id, error) => parentPort.postMessage({ type: 'reply', id, error: serializeError(error) });
  const concat = (parts) => Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));

  // One session at a time, as on PGlite's single connection: a statement outside a transaction, or a whole
  // transaction from BEGIN to COMMIT/ROLLBACK, or a LISTEN. Every use of the database takes a turn here.
  // Single statements go before waiting transactions: a transaction holds the session across round trips to the
  // main thread, so a queue of worker transactions would otherwise hold a webhook's insert (or a ringing call's
  // lookup) for all of them. At most STATEMENT_BURST statements pass a waiting transaction in a row, so a steady
  // stream of statements cannot starve the worker.
  const STATEMENT_BURST = 4;
  const waitingStatements = [];
  const waitingTransactions = [];
  let busy = false;
  let statementsInRow = 0;
  function grantNext() {
    if (busy) return;
    let grant;
    if (waitingStatements.length > 0 && (waitingTransactions.length === 0 || statementsInRow < STATEMENT_BURST)) {
      grant = waitingStatements.shift();
      statementsInRow++;
    } else if (waitingTransactions.length > 0) {
      grant = waitingTransactions.shift();
      statementsInRow = 0;
    } else {
      return;
    }
    busy = true;
    let released = false;
    grant(() => {
      if (released) return;
      released = true;
      busy = false;
      grantNext();
    });
  }
  function takeTurn(transaction) {
    return new Promise((resolve) => {
      (transaction ? waitingTransactions : waitingStatements).push(resolve);
      grantNext();
    });
  }
  async function inTurn(work) {
    const release = await takeTurn(false);
    try {
      return await work();
    } finally {
      release();
    }
  }

  // Statements are prepared once per SQL text (named, least recently used closed past the limit) and then run
  // as one Bind/Describe/Execute/Sync exchange: PGlite's own query() parses, plans and describes every time,
  // in six calls into the database.
  const STATEMENT_LIMIT = 256;
  const prepared = new Map();
  let statementCount = 0;
  async function statementFor(sql) {
    const known = prepared.get(sql);
    if (known) {
      prepared.delete(sql);
      prepared.set(sql, known);
      return known;
    }
    const name = 'sb_' + ++statementCount;
    const described = await db.execProtocol(
      concat([protocol.parse({ name, text: sql, types: [] }), protocol.describe({ type: 'S', name }), protocol.sync()]),
      { syncToFs: false },
    );
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(described.messages) };
    prepared.set(sql, statement);
    if (prepared.size > STATEMENT_LIMIT) {
      const [oldest, old] = prepared.entries().next().value;
      prepared.delete(oldest);
      await db.execProtocol(concat([protocol.close({ type: 'S', name: old.name }), protocol.sync()]), { syncToFs: false });
    }
    return statement;
  }
  function valuesFor(statement, params) {
    return params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = db.serializers[statement.paramTypes[index]];
      return serializer ? serializer(value) : value.toString();
    });
  }
  async function execute(sql, params, syncToFs) {
    for (let attempt = 0; ; attempt++) {
      const statement = await statementFor(sql);
      try {
        const { messages } = await db.execProtocol(
          concat([
            protocol.bind({ statement: statement.name, values: valuesFor(statement, params ?? []) }),
            protocol.describe({ type: 'P' }),
            protocol.execute({}),
            protocol.sync(),
          ]),
          { syncToFs },
        );
        const result = parse.parseResults(messages, db.parsers, { rowMode: 'object' })[0];
        return { rows: result ? result.rows : [], affectedRows: result ? result.affectedRows : 0 };
      } catch (error) {
        // A schema change altered what a prepared statement returns: prepare it again, once.
        if (attempt === 0 && error && error.code === '0A000') {
          prepared.delete(sql);
          await db.execProtocol(concat([protocol.close({ type: 'S', name: statement.name }), protocol.sync()]), { syncToFs: false });
          continue;
        }
        throw error;
      }
    }
  }
  async function control(command) {
    const { messages } = await db.execProtocol(protocol.query(command), { syncToFs: command !== 'BEGIN' });
    const done = messages.find((message) => message.name === 'commandComplete');
    return done ? done.text : '';
  }

  const transactions = new Map();
  // A transaction opens with its first statement (the main thread sends no separate BEGIN, saving a round trip
  // per transaction); statements sent before the opening finished wait for it.
  const opening = new Map();
  async function open(tx) {
    const release = await takeTurn(true);
    try {
      await control('BEGIN');
    } catch (error) {
      release();
      throw error;
    }
    transactions.set(tx, release);
  }
  const listeners = new Map();
  const handlers = {
    async query(message) {
      if (message.tx === undefined) return inTurn(() => execute(message.sql, message.params, true));
      if (message.first) {
        const opened = open(message.tx);
        opening.set(message.tx, opened);
        try {
          await opened;
        } finally {
          opening.delete(message.tx);
        }
      } else if (opening.has(message.tx)) {
        await opening.get(message.tx);
      }
      if (!transactions.has(message.tx)) throw new Error('The transaction is no longer open.');
      return execute(message.sql, message.params, false);
    },
    async commit(message) {
      const release = transactions.get(message.tx);
      if (!release) throw new Error('The transaction is no longer open.');
      transactions.delete(message.tx);
      try {
        // A transaction in which a statement failed ends in ROLLBACK even when asked to commit: say so.
        if ((await control('COMMIT')) === 'ROLLBACK') {
          const aborted = new Error('The transaction was rolled back because a statement in it failed.');
          aborted.code = '25P02';
          throw aborted;
        }
      } finally {
        release();
      }
      return null;
    },
    async rollback(message) {
      const release = transactions.get(message.tx);
      if (!release) return null;
      transactions.delete(message.tx);
      try {
        await control('ROLLBACK');
      } finally {
        release();
      }
      return null;
    },
    async listen(message) {
      const unlisten = await inTurn(() =>
        db.listen(message.channel, (payload) => parentPort.postMessage({ type: 'notify', listener: message.listener, payload })),
      );
      listeners.set(message.listener, unlisten);
      return null;
    },
    async unlisten(message) {
      const unlisten = listeners.get(message.listener);
      listeners.delete(message.listener);
      if (unlisten && !db.closed) await inTurn(() => unlisten());
      return null;
    },
    async close() {
      if (!db.closed) await inTurn(() => db.close());
      return null;
    },
  };

  parentPort.on('message', (message) => {
    handlers[message.op](message).then(
      (result) => reply(message.id, result),
      (error) => fail(message.id, error),
    );
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

function revive(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  Object.assign(error, serialized.fields);
  return error;
}

/** A PGlite database running on a worker thread; see the module comment. */
export class PGliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly listeners = new Map<number, (payload: string) => void>();
  private nextId = 1;
  private stopped: Error | undefined;
  closed = false;
  private ready = false;
  readonly waitReady: Promise<void>;

  private closing = false;

  /**
   * `dataDir` undefined keeps the database in memory. `onLost` hears of the thread ending when nobody closed it
   * (a WASM abort, out of memory): every statement fails from then on, so the owner should stop the process.
   */
  constructor(
    dataDir: string | undefined,
    private readonly onLost?: (error: Error) => void,
  ) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { dataDir, moduleUrl: import.meta.resolve('@electric-sql/pglite') },
    });
    this.waitReady = new Promise<void>((resolve, reject) => {
      const onMessage = (message: ThreadMessage) => {
        if (message.type === 'ready') {
          if (message.error) reject(revive(message.error));
          else {
            this.ready = true;
            resolve();
          }
        } else if (message.type === 'reply') {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) waiter?.reject(revive(message.error));
          else waiter?.resolve(message.result);
        } else {
          this.listeners.get(message.listener)?.(message.payload);
        }
      };
      this.worker.on('message', onMessage);
      const stop = (error: Error) => {
        if (this.stopped) return;
        const unexpected = this.ready && !this.closing;
        this.stopped = error;
        this.closed = true;
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
        if (unexpected) this.onLost?.(error);
      };
      this.worker.on('error', (error) => stop(new Error(`The PGlite database thread failed: ${error.message}`, { cause: error })));
      this.worker.on('exit', (code) => stop(new Error(`The PGlite database thread stopped (exit code ${code}).`)));
    });
    // A failed start is reported through waitReady; keep it from also surfacing as unhandled.
    this.waitReady.catch(() => undefined);
  }

  private call<T>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ op, id, ...fields });
    });
  }

  /** Runs one statement outside any transaction (it waits for an open transaction to end, as in PGlite). */
  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult & { rows: T[] }> {
    return this.call('query', { sql, params });
  }

  /** Transactions handed out whose first statement (which opens them on the thread) has not been sent yet. */
  private readonly unopened = new Set<number>();

  /**
   * Answers a transaction handle. Nothing is sent yet: the transaction opens on the thread with its first
   * statement (once PGlite's transaction lock is free), and one without statements never opens.
   */
  async begin(): Promise<number> {
    const tx = this.nextId++;
    this.unopened.add(tx);
    return tx;
  }

  queryIn<T>(tx: number, sql: string, params: readonly unknown[] = []): Promise<QueryResult & { rows: T[] }> {
    const first = this.unopened.delete(tx);
    return this.call('query', first ? { sql, params, tx, first } : { sql, params, tx });
  }

  async commit(tx: number): Promise<void> {
    if (this.unopened.delete(tx)) return;
    await this.call('commit', { tx });
  }

  /** Rolls back; a transaction already ended (or failed to commit) is left as it is. */
  async rollback(tx: number): Promise<void> {
    if (this.unopened.delete(tx)) return;
    await this.call('rollback', { tx });
  }

  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = this.nextId++;
    this.listeners.set(listener, handler);
    await this.call('listen', { channel, listener });
    return async () => {
      this.listeners.delete(listener);
      if (!this.closed) await this.call('unlisten', { listener });
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    try {
      await this.call('close');
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }
}

/**
 * Kysely over a `PGliteThread`. Kysely's own PGlite dialect declares a single connection, so every statement
 * waits at a mutex in the main thread for the previous one's answer to come back across threads. This one
 * hands out a connection per request: statements go to the thread at once and queue there, where one session
 * runs at a time (a statement outside a transaction waits for an open transaction to end; a transaction's
 * statements carry its handle and run inside it).
 */
export class PGliteThreadDialect implements Dialect {
  constructor(private readonly database: PGliteThread) {}

  createAdapter() {
    return new PGliteThreadAdapter();
  }

  createDriver(): Driver {
    return new PGliteThreadDriver(this.database);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteThreadAdapter extends PGliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

class PGliteThreadConnection implements DatabaseConnection {
  private tx: number | undefined;

  constructor(private readonly database: PGliteThread) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<KyselyQueryResult<R>> {
    const { rows, affectedRows } =
      this.tx === undefined
        ? await this.database.query<R>(compiled.sql, compiled.parameters)
        : await this.database.queryIn<R>(this.tx, compiled.sql, compiled.parameters);
    return { rows, numAffectedRows: affectedRows == null ? undefined : BigInt(affectedRows) };
  }

  // eslint-disable-next-line require-yield -- Kysely's driver interface wants a generator; this one only refuses
  async *streamQuery<R>(): AsyncIterableIterator<KyselyQueryResult<R>> {
    throw new Error('Streaming is not supported by PGlite.');
  }

  async begin(): Promise<void> {
    this.tx = await this.database.begin();
  }

  async commit(): Promise<void> {
    const tx = this.tx;
    this.tx = undefined;
    if (tx !== undefined) await this.database.commit(tx);
  }

  async rollback(): Promise<void> {
    const tx = this.tx;
    this.tx = undefined;
    if (tx !== undefined) await this.database.rollback(tx);
  }
}

class PGliteThreadDriver implements Driver {
  constructor(private readonly database: PGliteThread) {}

  async init(): Promise<void> {
    await this.database.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteThreadConnection(this.database);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteThreadConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteThreadConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteThreadConnection).rollback();
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.database.close();
  }
}
