import type { CliCommand } from './commands.js';

export const doctorCommand: CliCommand = (program, io) => {
  program
    .command('doctor')
    .description('Check configuration, environment, database and every vendor connection, and say how to fix what is wrong.')
    .action(async () => (await import('./actions/doctor.js')).doctor(io));
};
