import { sql, type Kysely } from 'kysely';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import type { ClientRegistry } from './registry.js';

/** Mirrors the config files into the `clients` table (rows other tables point at). Files stay the source of truth. */
export async function syncClientsToDatabase(db: Kysely<DB>, clients: ClientRegistry): Promise<void> {
  for (const { config } of clients.all()) {
    await db
      .insertInto('clients')
      .values({ id: config.slug, name: config.name, timezone: config.timezone, settings: json({}) })
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet({ name: config.name, timezone: config.timezone, updated_at: sql`now()` }),
      )
      .execute();
  }
}
