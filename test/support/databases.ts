/**
 * Every database-touching suite runs against both backends: PGlite (in memory) and a fresh PostgreSQL
 * database created on the server at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseKind } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { json } from '../../src/db/json.js';

export const BACKENDS: DatabaseKind[] = ['pglite', 'postgres'];

export const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends Database {
  /** For PostgreSQL: the URL of this test's own database (to start a second process against it). */
  url?: string;
  /** Closes and, for PostgreSQL, drops the database. */
  dispose(): Promise<void>;
}

export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sb_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  return {
    url: withDatabase(serverUrl, name),
    drop: () => admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export async function openTestDatabase(kind: DatabaseKind, options: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ memory: true });
    if (options.migrate ?? true) await migrateToLatest(database);
    return Object.assign(database, { dispose: () => database.close() });
  }
  const created = await createPostgresDatabase();
  const database = await openDatabase({ url: created.url, poolSize: options.poolSize ?? 10 });
  if (options.migrate ?? true) await migrateToLatest(database);
  return Object.assign(database, {
    url: created.url,
    async dispose() {
      await database.close();
      await created.drop();
    },
  });
}

/** Inserts the minimal client rows other tables reference. */
export async function seedClient(database: Database, id = 'smart-tax-nation', timezone = 'America/New_York'): Promise<void> {
  await database.db
    .insertInto('clients')
    .values({ id, name: id, timezone, settings: json({}) })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}
