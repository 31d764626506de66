import type { CliCommand } from './commands.js';

export const migrateCommand: CliCommand = (program, io) => {
  program
    .command('migrate')
    .description('Apply database migrations (start does this too). Uses DATABASE_URL, else the embedded database in DATA_DIR.')
    .action(async () => (await import('./actions/migrate.js')).migrate(io));
};
