/**
 * `switchboard <command>`: start, migrate, client list, doctor (later issues add more). Errors print as
 * readable messages with what to do next, never as stack traces.
 */
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { cliCommands } from './commands.js';

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function fail(error: unknown): Promise<never> {
  // Loaded here, not at the top, so `--help` does not load zod; a command that threw one has it loaded already.
  const config = await import('../config/client-schema.js').catch(() => undefined);
  if ((config && error instanceof config.ConfigError) || error instanceof DataDirLockedError) {
    process.stderr.write(`\n${error.message}\n\n`);
  } else if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  } else {
    process.stderr.write(`\nswitchboard: ${error instanceof Error ? error.message : String(error)}\n\n`);
    if (process.env.DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  }
  process.exit(1);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('switchboard')
    .description('Backend for AI voice receptionists on Retell AI. Run `switchboard <command> --help` for details.')
    .showHelpAfterError('(add --help for usage)');
  for (const register of cliCommands) register(program, { print });
  return program;
}

// A .env file beside the project fills variables the environment does not set (Node's own parser).
if (existsSync('.env')) process.loadEnvFile('.env');
process.on('unhandledRejection', (error) => void fail(error));
const argv = process.argv.slice();
if (argv.length <= 2) argv.push('--help');
buildProgram().parseAsync(argv).catch(fail);
