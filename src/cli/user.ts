import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { loadClientConfigs } from '../config/load-clients.js';
import { ClientRegistry } from '../config/registry.js';
import { resolveClientSecrets } from '../config/secrets.js';
import { syncClientsToDatabase } from '../config/sync-clients.js';
import { systemClock } from '../core/clock.js';
import { generatePassword } from '../dashboard/auth/password.js';
import { UserInputError, createUser, setUserPassword } from '../dashboard/auth/users.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { CliCommand } from './commands.js';

async function withDatabase<T>(run: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const env = loadEnv(process.env);
  const database = await openDatabase({ url: env.databaseUrl, dataDir: resolve(env.dataDir) });
  try {
    await migrateToLatest(database);
    const configs = loadClientConfigs({ dir: resolve(env.configDir), mode: env.mode, env: process.env });
    await syncClientsToDatabase(database.db, new ClientRegistry(configs.map((config) => ({ config, secrets: resolveClientSecrets(config, process.env, env.mode) }))));
    return await run(database);
  } finally {
    await database.close();
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The audit log's actor for changes made from this command line. */
function cliActor(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}

export const userCommand: CliCommand = (program, io) => {
  const user = program.command('user').description('Dashboard users (admin: every client; staff: the clients named).');
  user
    .command('add')
    .description('Add a dashboard user. Without --password a one-time password is generated and printed once.')
    .requiredOption('--email <email>', 'their e-mail address (the sign-in name)')
    .requiredOption('--role <role>', 'admin or staff')
    .option('--client <slug>', 'a client a staff user may see (repeat for several)', collect, [])
    .option('--password <password>', 'their password (at least 10 characters); prefer the generated one')
    .action(async (options: { email: string; role: string; client: string[]; password?: string }) => {
      if (options.role !== 'admin' && options.role !== 'staff') throw new UserInputError('--role must be admin or staff.');
      const password = options.password ?? generatePassword();
      const result = await withDatabase((database) =>
        createUser(database.db, systemClock, { email: options.email, password, role: options.role as 'admin' | 'staff', clientIds: options.client, actor: cliActor() }),
      );
      if (!result.created) {
        io.print(`A user ${options.email} already exists; nothing changed. Use \`switchboard user reset-password --email ${options.email}\`.`);
        return;
      }
      io.print(`Added ${options.role} ${options.email}${options.client.length ? ` for ${options.client.join(', ')}` : ''}.`);
      if (!options.password) io.print(`One-time password (shown once): ${password}`);
    });
  user
    .command('reset-password')
    .description('Give a user a new generated password and sign them out everywhere.')
    .requiredOption('--email <email>', 'the user')
    .action(async (options: { email: string }) => {
      const password = generatePassword();
      const found = await withDatabase((database) => setUserPassword(database.db, systemClock, options.email, password, cliActor()));
      if (!found) throw new UserInputError(`No user ${options.email}.`);
      io.print(`New password for ${options.email} (shown once): ${password}`);
    });
};
