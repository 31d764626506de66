import { defineConfig } from 'vitest/config';

/**
 * `npm run test:soak`: the go-live drills repeated (SOAK=1 makes each drill run several rounds: several
 * kill -9 crashes, several PostgreSQL outages). `npm test` runs the same files once each.
 */
export default defineConfig({
  test: {
    include: ['test/golive/instances.test.ts', 'test/golive/faults.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    env: { SOAK: '1' },
  },
});
