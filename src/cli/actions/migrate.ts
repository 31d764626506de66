/** What `switchboard migrate` does (defined in ../migrate.ts). */
import { resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { openDatabase } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrate.js';
import type { CliIo } from '../commands.js';

export async function migrate(io: CliIo): Promise<void> {
  const env = loadEnv(process.env);
  const database = await openDatabase({ url: env.databaseUrl, dataDir: resolve(env.dataDir) });
  try {
    const applied = await migrateToLatest(database);
    io.print(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  } finally {
    await database.close();
  }
}
