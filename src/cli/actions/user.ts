/** What `switchboard user …` does (defined in ../user.ts); every change leaves a row in the audit log. */
import { systemClock } from '../../core/clock.js';
import { generatePassword } from '../../dashboard/auth/password.js';
import { UserInputError, createUser, setUserPassword } from '../../dashboard/auth/users.js';
import type { Database } from '../../db/database.js';
import type { CliIo } from '../commands.js';
import { cliActor, withOffices } from '../offices-db.js';

/** Users point at offices (scope), so the offices are loaded (and changed files imported) first. */
function withDatabase<T>(run: (database: Database) => Promise<T>): Promise<T> {
  return withOffices(({ database }) => run(database));
}

export async function addUser(io: CliIo, options: { email: string; role: string; client: string[]; password?: string }): Promise<void> {
  if (options.role !== 'admin' && options.role !== 'staff') throw new UserInputError('--role must be admin or staff.');
  const password = options.password ?? generatePassword();
  const result = await withDatabase((database) =>
    createUser(database.db, systemClock, {
      email: options.email,
      password,
      role: options.role as 'admin' | 'staff',
      clientIds: options.client,
      actor: cliActor(),
    }),
  );
  if (!result.created) {
    io.print(`A user ${options.email} already exists; nothing changed. Use \`switchboard user reset-password --email ${options.email}\`.`);
    return;
  }
  io.print(`Added ${options.role} ${options.email}${options.client.length ? ` for ${options.client.join(', ')}` : ''}.`);
  if (!options.password) io.print(`One-time password (shown once): ${password}`);
}

export async function resetUserPassword(io: CliIo, options: { email: string }): Promise<void> {
  const password = generatePassword();
  const found = await withDatabase((database) => setUserPassword(database.db, systemClock, options.email, password, cliActor()));
  if (!found) throw new UserInputError(`No user ${options.email}.`);
  io.print(`New password for ${options.email} (shown once): ${password}`);
}
