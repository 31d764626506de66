/**
 * For CLI commands that need the offices: opens the database (PGlite in DATA_DIR or DATABASE_URL), brings it
 * up to date, imports changed files from CONFIG_DIR as a start would, and loads every office. On the
 * embedded database this needs the server stopped (one process per data directory); on PostgreSQL it works
 * beside running instances, which reload what the command changed within moments (NOTIFY).
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadEnv, type Env } from '../config/env.js';
import { ClientRegistry } from '../config/registry.js';
import { systemClock, type Clock } from '../core/clock.js';
import { SecretBox, loadSecretKey } from '../core/crypto.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { silentLogger } from '../log/logger.js';
import { importOfficeFiles, officeFiles } from '../offices/import-files.js';
import { OfficeLoader } from '../offices/loader.js';

export interface CliOffices {
  env: Env;
  database: Database;
  clients: ClientRegistry;
  clock: Clock;
  secretBox: SecretBox;
}

export async function withOffices<T>(run: (offices: CliOffices) => Promise<T>): Promise<T> {
  const env = loadEnv(process.env);
  const database = await openDatabase({ url: env.databaseUrl, dataDir: resolve(env.dataDir) });
  try {
    await migrateToLatest(database);
    const clock = systemClock;
    const secretBox = new SecretBox(loadSecretKey({ envValue: env.secretKeyBase64, dataDir: resolve(env.dataDir), allowGenerate: env.mode === 'demo' }));
    await importOfficeFiles({ db: database.db, clock }, officeFiles(resolve(env.configDir)), { author: 'file import' });
    const clients = new ClientRegistry();
    await new OfficeLoader({ db: database.db, secretBox, env: process.env, mode: env.mode, registry: clients, logger: silentLogger() }).loadAll();
    return await run({ env, database, clients, clock, secretBox });
  } finally {
    await database.close();
  }
}

/** The audit log's actor for changes made from this command line. */
export function cliActor(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}
