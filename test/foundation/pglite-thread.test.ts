import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kysely, sql } from 'kysely';
import { PGliteThread, PGliteThreadDialect } from '../../src/db/pglite-thread.js';

describe('PGlite on its own thread', () => {
  const opened: PGliteThread[] = [];
  async function open(dataDir?: string): Promise<PGliteThread> {
    const database = new PGliteThread(dataDir);
    opened.push(database);
    await database.waitReady;
    return database;
  }
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
  });

  it('answers rows with the types PGlite gives in the main thread (int8 as number, Date, parsed jsonb)', async () => {
    const database = await open();
    const { rows } = await database.query<{ n: number; at: Date; doc: { a: number[] }; bytes: Uint8Array }>(
      `select 9007199254740::int8 as n, '2026-03-08T07:30:00Z'::timestamptz as at, '{"a":[1,2]}'::jsonb as doc, '\\x0102'::bytea as bytes`,
    );
    expect(rows[0]!.n).toBe(9007199254740);
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows[0]!.at.toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(rows[0]!.doc).toEqual({ a: [1, 2] });
    expect([...rows[0]!.bytes]).toEqual([1, 2]);
    const params = await database.query<{ d: Date; t: string }>('select $1::timestamptz as d, $2::text as t', [new Date('2026-11-01T06:00:00Z'), 'x']);
    expect(params.rows[0]!.d.toISOString()).toBe('2026-11-01T06:00:00.000Z');
  });

  it("keeps a database error's fields (the code and constraint our conflict handling reads)", async () => {
    const database = await open();
    await database.query('create table t (id int constraint t_pkey primary key)');
    await database.query('insert into t values (1)');
    const error = await database.query('insert into t values (1)').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect((error as Error).message).toContain('duplicate key');
  });

  it('keeps what a committed transaction wrote and nothing of a rolled-back one', async () => {
    const database = await open();
    await database.query('create table t (id int)');
    const kept = await database.begin();
    await database.queryIn(kept, 'insert into t values (1)');
    await database.commit(kept);
    const dropped = await database.begin();
    await database.queryIn(dropped, 'insert into t values (2)');
    await database.rollback(dropped);
    const { rows } = await database.query<{ id: number }>('select id from t order by id');
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('delivers NOTIFY to listeners until they unlisten', async () => {
    const database = await open();
    const heard: string[] = [];
    const unlisten = await database.listen('wake', (payload) => heard.push(payload));
    await database.query(`select pg_notify('wake', 'one')`);
    await expect.poll(() => heard).toEqual(['one']);
    await unlisten();
    await database.query(`select pg_notify('wake', 'two')`);
    await database.query('select 1');
    expect(heard).toEqual(['one']);
  });

  it('leaves the event loop free while a statement runs', async () => {
    const database = await open();
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    try {
      await database.query('select pg_sleep(0.4)');
    } finally {
      clearInterval(ticker);
    }
    // In the main thread the 400 ms statement would block every timer: zero ticks.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('keeps data in a directory across close and reopen, and refuses work once closed', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pglite-thread-')), 'data');
    const first = await open(dataDir);
    await first.query('create table kept (v text)');
    await first.query(`insert into kept values ('still here')`);
    await first.close();
    await expect(first.query('select 1')).rejects.toThrow(/stopped|closed/i);
    const second = await open(dataDir);
    const { rows } = await second.query<{ v: string }>('select v from kept');
    expect(rows).toEqual([{ v: 'still here' }]);
  });

  it('tells its owner when the thread ends without being closed, and fails every statement after', async () => {
    const lost: Error[] = [];
    const database = new PGliteThread(undefined, (error) => lost.push(error));
    opened.push(database);
    await database.waitReady;
    // What a WASM abort looks like from outside: the thread is gone.
    await (database as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect.poll(() => lost.length).toBe(1);
    expect(lost[0]!.message).toMatch(/database thread stopped/);
    await expect(database.query('select 1')).rejects.toThrow(/database thread stopped/);
  });

  it('does not report a close it was asked for', async () => {
    const lost: Error[] = [];
    const database = new PGliteThread(undefined, (error) => lost.push(error));
    await database.waitReady;
    await database.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lost).toEqual([]);
  });

  it('through Kysely: statements outside a transaction wait for it to end, and a failed transaction leaves nothing', async () => {
    const database = await open();
    const db = new Kysely<{ t: { id: number } }>({ dialect: new PGliteThreadDialect(database) });
    await sql`create table t (id int)`.execute(db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1 }).execute();
      await gate;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    let seen: Array<{ id: number }> | undefined;
    const reading = db
      .selectFrom('t')
      .select('id')
      .execute()
      .then((rows) => (seen = rows));
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Neither inside the open transaction nor beside it: the read waits for the commit.
    expect(seen).toBeUndefined();
    release();
    await writing;
    await reading;
    expect(seen).toEqual([{ id: 1 }]);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2 }).execute();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    // Many statements at once are all answered, in any interleaving, with their own results.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => sql<{ v: number }>`select ${i}::int as v`.execute(db)));
    expect(many.map((result) => result.rows[0]!.v)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 1 }]);
  });

  it('lets waiting single statements go before a waiting transaction, a bounded number in a row, each isolated from the other (at most 4 in a row)', async () => {
    const database = await open();
    await database.query('create table t (id int)');
    const first = await database.begin();
    await database.queryIn(first, 'insert into t values (1)');
    const order: string[] = [];
    // A second transaction asks for the session first (with its first statement, which carries the BEGIN), then
    // 100 single statements (webhook inserts, lookups).
    const tx = await database.begin();
    const second = database.queryIn(tx, 'insert into t values (2)').then(() => order.push('second began'));
    const statements = Array.from({ length: 100 }, (_, i) =>
      database.query<{ n: number }>('select count(*)::int as n from t').then((result) => {
        order.push(`statement ${i}`);
        return result.rows[0]!.n;
      }),
    );
    await database.commit(first);
    await second;
    await database.commit(tx);
    const seen = await Promise.all(statements);
    const began = order.indexOf('second began');
    // Statements that waited went first, but no more than 4 of them before the transaction had its turn.
    expect(began).toBeGreaterThan(0);
    expect(began).toBeLessThanOrEqual(4);
    // Each statement saw the first transaction's commit; those before the second transaction did not see its row.
    expect(seen.slice(0, began)).toEqual(Array.from({ length: began }, () => 1));
    expect(seen.slice(began)).toEqual(Array.from({ length: 100 - began }, () => 2));
  });

  it('opens a transaction with its first statement: none is open before it, statements sent together run in it', async () => {
    const database = await open();
    await database.query('create table t (id int)');
    // Handed out but nothing sent: the session stays free for others, and ending it costs nothing.
    const idle = await database.begin();
    expect((await database.query('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
    await database.commit(idle);
    const unused = await database.begin();
    await database.rollback(unused);
    // Statements sent at once (the second before the first's BEGIN has answered) all run inside the one transaction.
    const tx = await database.begin();
    await Promise.all([1, 2, 3].map((id) => database.queryIn(tx, 'insert into t values ($1)', [id])));
    const inside = await database.queryIn<{ n: number }>(tx, 'select count(*)::int as n from t');
    expect(inside.rows).toEqual([{ n: 3 }]);
    await database.rollback(tx);
    expect((await database.query('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
  });

  it('refuses to commit a transaction in which a statement failed, and keeps none of it', async () => {
    const database = await open();
    await database.query('create table t (id int primary key)');
    const tx = await database.begin();
    await database.queryIn(tx, 'insert into t values (1)');
    await expect(database.queryIn(tx, 'insert into t values (1)')).rejects.toMatchObject({ code: '23505' });
    await expect(database.commit(tx)).rejects.toMatchObject({ code: '25P02' });
    expect((await database.query('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
  });

  it('prepares each statement once, closes the least used past its limit, and re-prepares after a schema change', async () => {
    const database = await open();
    await database.query('create table t (a int)');
    await database.query('insert into t values (1)');
    expect((await database.query('select * from t')).rows).toEqual([{ a: 1 }]);
    // The prepared `select *` now returns another shape: PostgreSQL refuses the cached plan, the thread prepares again.
    await database.query("alter table t add column b text default 'x'");
    expect((await database.query('select * from t')).rows).toEqual([{ a: 1, b: 'x' }]);
    // Far more distinct statements than are kept prepared: each still answers its own result.
    for (let i = 0; i < 600; i++) {
      const { rows } = await database.query<{ v: number }>(`select $1::int + ${i} as v`, [1]);
      expect(rows[0]!.v).toBe(i + 1);
    }
    expect((await database.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements')).rows[0]!.n).toBeLessThanOrEqual(256);
  });
});
