/**
 * Every CLI command, registered by name, description and options only, so `--help` and argument parsing load
 * nothing but commander. A command's work lives in `actions/<command>.ts` and is imported inside its `.action`
 * (`async (options) => (await import('./actions/x.js')).run(io, options)`); a definition file imports types and
 * light constants only. test/foundation/cli.test.ts fails if `--help` loads anything more.
 */
import type { Command } from 'commander';
import { startCommand } from './start.js';
import { migrateCommand } from './migrate.js';
import { clientCommand } from './client.js';
import { doctorCommand } from './doctor.js';
import { crmCommand } from './crm.js';
import { simulateCallCommand } from './simulate-call.js';
import { zohoCommand } from './zoho.js';
import { userCommand } from './user.js';
import { insightsCommand } from './insights.js';
import { analyticsCommand } from './analytics.js';

export interface CliIo {
  print(text: string): void;
}

export type CliCommand = (program: Command, io: CliIo) => void;

/** Every CLI command; later features add theirs here. */
export const cliCommands: CliCommand[] = [
  startCommand,
  migrateCommand,
  clientCommand,
  doctorCommand,
  crmCommand,
  simulateCallCommand,
  zohoCommand,
  userCommand,
  insightsCommand,
  analyticsCommand,
];
