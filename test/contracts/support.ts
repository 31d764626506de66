/** Builders for the calendar contract runs: a migrated PGlite database, a sealed-token store and recorded alerts. */
import { randomBytes } from 'node:crypto';
import type { AlertInput } from '../../src/alerts/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { SecretBox } from '../../src/core/crypto.js';
import { silentLogger } from '../../src/log/logger.js';
import type { OAuthConnectionDeps } from '../../src/oauth/connections.js';
import { openTestDatabase, seedClient, type TestDatabase } from '../support/databases.js';

export const OFFICE = 'contract-office';
/** A weekday before the 2026 spring-forward: tokens are issued and checked on this clock. */
export const CONTRACT_NOW = '2026-02-02T14:00:00Z';

export interface ConnectionWorld {
  database: TestDatabase;
  clock: ManualClock;
  deps: OAuthConnectionDeps;
  alerts: AlertInput[];
}

export async function aConnectionWorld(
  options: { backend?: 'pglite' | 'postgres'; clock?: ManualClock; database?: TestDatabase } = {},
): Promise<ConnectionWorld> {
  const database = options.database ?? (await openTestDatabase(options.backend ?? 'pglite'));
  await seedClient(database, OFFICE, 'America/New_York');
  const clock = options.clock ?? new ManualClock(CONTRACT_NOW);
  const alerts: AlertInput[] = [];
  return {
    database,
    clock,
    alerts,
    deps: {
      db: database.db,
      clock,
      logger: silentLogger(),
      secretBox: new SecretBox(randomBytes(32)),
      alerts: {
        async raise(alert) {
          alerts.push(alert);
        },
      },
    },
  };
}
