/** `switchboard user add|reset-password`: dashboard users; the work is in actions/user.ts. */
import type { CliCommand } from './commands.js';

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
    .action(async (options) => (await import('./actions/user.js')).addUser(io, options));
  user
    .command('reset-password')
    .description('Give a user a new generated password and sign them out everywhere.')
    .requiredOption('--email <email>', 'the user')
    .action(async (options) => (await import('./actions/user.js')).resetUserPassword(io, options));
};
