import { systemClock } from '../core/clock.js';
import { generatePassword } from '../dashboard/auth/password.js';
import { UserInputError, createUser, setUserPassword } from '../dashboard/auth/users.js';
import type { Database } from '../db/database.js';
import type { CliCommand } from './commands.js';
import { cliActor, withOffices } from './offices-db.js';

/** Users point at offices (scope), so the offices are loaded (and changed files imported) first. */
function withDatabase<T>(run: (database: Database) => Promise<T>): Promise<T> {
  return withOffices(({ database }) => run(database));
}

const collect = (value: string, previous: string[]) => [...previous, value];


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
