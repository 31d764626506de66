/** What `switchboard analytics rebuild` does (defined in ../analytics.ts). */
import { rebuildRollups } from '../../analytics/rollup.js';
import type { CliIo } from '../commands.js';
import { withOffices } from '../offices-db.js';

export async function rebuild(io: CliIo, options: { office?: string[] }): Promise<void> {
  await withOffices(async ({ database, clients }) => {
    const known = clients.slugs();
    const unknown = (options.office ?? []).filter((slug) => !known.includes(slug));
    if (unknown.length) {
      io.print(`No such office: ${unknown.join(', ')}. Offices: ${known.join(', ')}.`);
      process.exitCode = 1;
      return;
    }
    const started = performance.now();
    await rebuildRollups(database.db, clients, options.office ?? known, (slug, days) => io.print(`${slug}: ${days} days with figures`));
    io.print(`Rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  });
}
