/**
 * Every migration, in order. Static imports (not a folder scan) so the list works the same from
 * TypeScript sources, the compiled build and a bundled CLI. Forward-only: never edit a shipped one.
 */
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_foundation.js';

export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
};
