import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { CliCommand } from './commands.js';

export const migrateCommand: CliCommand = (program, io) => {
  program
    .command('migrate')
    .description('Apply database migrations (start does this too). Uses DATABASE_URL, else the embedded database in DATA_DIR.')
    .action(async () => {
      const env = loadEnv(process.env);
      const database = await openDatabase({ url: env.databaseUrl, dataDir: resolve(env.dataDir) });
      try {
        const applied = await migrateToLatest(database);
        io.print(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      } finally {
        await database.close();
      }
    });
};
