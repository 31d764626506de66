/** `switchboard crm resync --client <slug> --since <7d|24h|ISO date>`; the work is in actions/crm.ts. */
import type { CliCommand } from './commands.js';

export const crmCommand: CliCommand = (program, io) => {
  const crm = program.command('crm').description('Zoho CRM lead sync.');
  crm
    .command('resync')
    .description('Queue a CRM sync for every call of a client since a moment (safe to run twice).')
    .requiredOption('--client <slug>', 'client slug, e.g. smart-tax-nation')
    .requiredOption('--since <when>', 'how far back: 7d, 24h, 90m, or an ISO date such as 2026-02-01')
    .action(async (options) => (await import('./actions/crm.js')).resyncCrmCalls(io, options));
};
