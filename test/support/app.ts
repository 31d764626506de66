/**
 * Starts the whole Switchboard in-process on a test database, in demo mode (every vendor emulated),
 * listening on an ephemeral loopback port, with a ManualClock and no background worker loop: tests call
 * `app.worker.drain()` after moving the clock.
 */
import { ManualClock } from '../../src/core/clock.js';
import type { ScryptCost } from '../../src/dashboard/auth/password.js';
import type { DatabaseKind } from '../../src/db/database.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSwitchboard, type StartOptions, type Switchboard } from '../../src/main.js';
import { RETELL_EVENT_KIND } from '../../src/webhooks/intake.js';
import { openTestDatabase, type TestDatabase } from './databases.js';

export const testEnv = {
  SWITCHBOARD_MODE: 'demo',
  DATA_DIR: 'memory://',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  CONFIG_DIR: 'config/clients',
  // Suites that move the clock past a Monday would otherwise get digest e-mails; the digest's own tests turn it on.
  ANALYTICS_DIGEST: '0',
} as const;

/**
 * scrypt at N=2^10 (about 1 ms) instead of production's N=2^17 (about 0.3 s and 128 MiB), so suites that add and
 * sign in many users stay fast. Passed explicitly through StartOptions.passwordCost; a test of the production
 * cost passes PASSWORD_COST instead.
 */
export const TEST_PASSWORD_COST: ScryptCost = { N: 2 ** 10, r: 8, p: 1 };

export interface TestApp extends Switchboard {
  clock: ManualClock;
  database: TestDatabase;
  /**
   * Applies the Retell call events the webhook has stored (the worker's `retell_event` rows) and nothing else,
   * so a test sees the call record without the texts or CRM syncs those events plan being run.
   */
  applyCallEvents(): Promise<number>;
  /** Closes the app and disposes of the database. */
  dispose(): Promise<void>;
}

export async function startTestApp(
  kind: DatabaseKind,
  options: Partial<StartOptions> & { clock?: ManualClock; database?: TestDatabase } = {},
): Promise<TestApp> {
  const clock = options.clock ?? new ManualClock('2026-03-02T15:00:00Z');
  const database = options.database ?? (await openTestDatabase(kind));
  const switchboard = await startSwitchboard({
    logger: silentLogger(),
    worker: false,
    passwordCost: TEST_PASSWORD_COST,
    ...options,
    env: { ...testEnv, ...(options.env ?? {}) },
    clock,
    database,
  });
  return Object.assign(switchboard, {
    clock,
    database,
    applyCallEvents: () => switchboard.worker.drain({ kinds: [RETELL_EVENT_KIND] }),
    async dispose() {
      await switchboard.close();
      if (!options.database) await database.dispose();
    },
  });
}
