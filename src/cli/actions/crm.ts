/**
 * What `switchboard crm resync` does (defined in ../crm.ts): re-queues CRM syncs for the client's calls since a
 * moment. Idempotent: running it twice queues nothing new; the running server's worker sends them.
 */
import { systemClock } from '../../core/clock.js';
import { parseSince, resyncCrm } from '../../crm/resync.js';
import type { CliIo } from '../commands.js';
import { withOffices } from '../offices-db.js';

export async function resyncCrmCalls(io: CliIo, options: { client: string; since: string }): Promise<void> {
  const since = parseSince(options.since, systemClock.now());
  if (!since) throw new Error(`--since "${options.since}" is neither a span like 7d, 24h, 90m nor a date like 2026-02-01.`);
  await withOffices(async ({ database, clients }) => {
    if (!clients.get(options.client)) {
      throw new Error(`No client "${options.client}"; configured clients: ${clients.slugs().join(', ') || 'none'}.`);
    }
    const result = await resyncCrm(database.db, { clients, clock: systemClock }, { clientId: options.client, since });
    io.print(`${result.calls} call(s) since ${since.toISOString()}: ${result.queued} CRM sync(s) queued, ` + `${result.alreadyQueued} already queued.`);
  });
}
