import type { Command } from 'commander';
import { startCommand } from './start.js';
import { migrateCommand } from './migrate.js';
import { clientCommand } from './client.js';
import { doctorCommand } from './doctor.js';
import { crmCommand } from './crm.js';
import { simulateCallCommand } from './simulate-call.js';
import { zohoCommand } from './zoho.js';
import { userCommand } from './user.js';

export interface CliIo {
  print(text: string): void;
}

export type CliCommand = (program: Command, io: CliIo) => void;

/** Every CLI command; later features add theirs here. */
export const cliCommands: CliCommand[] = [startCommand, migrateCommand, clientCommand, doctorCommand, crmCommand, simulateCallCommand, zohoCommand, userCommand];
