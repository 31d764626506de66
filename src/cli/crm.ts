/**
 * `switchboard crm resync --client <slug> --since <7d|24h|ISO date>`: re-queues CRM syncs for the client's
 * calls since then. Idempotent: running it twice queues nothing new; the running server's worker sends them.
 */
import { systemClock } from '../core/clock.js';
import { parseSince, resyncCrm } from '../crm/resync.js';
import type { CliCommand } from './commands.js';
import { withOffices } from './offices-db.js';

export const crmCommand: CliCommand = (program, io) => {
  const crm = program.command('crm').description('Zoho CRM lead sync.');
  crm
    .command('resync')
    .description('Queue a CRM sync for every call of a client since a moment (safe to run twice).')
    .requiredOption('--client <slug>', 'client slug, e.g. smart-tax-nation')
    .requiredOption('--since <when>', 'how far back: 7d, 24h, 90m, or an ISO date such as 2026-02-01')
    .action(async (options: { client: string; since: string }) => {
      const since = parseSince(options.since, systemClock.now());
      if (!since) throw new Error(`--since "${options.since}" is neither a span like 7d, 24h, 90m nor a date like 2026-02-01.`);
      await withOffices(async ({ database, clients }) => {
        if (!clients.get(options.client)) {
          throw new Error(`No client "${options.client}"; configured clients: ${clients.slugs().join(', ') || 'none'}.`);
        }
        const result = await resyncCrm(database.db, { clients, clock: systemClock }, { clientId: options.client, since });
        io.print(
          `${result.calls} call(s) since ${since.toISOString()}: ${result.queued} CRM sync(s) queued, ` +
            `${result.alreadyQueued} already queued.`,
        );
      });
    });
};
