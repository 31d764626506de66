/**
 * Migration 0030 copies the caller profile's wordings onto the customer's row, where call_inbound's `caller_memory`
 * reads them: a profile written before the migration reaches the agent after it, and a caller without a profile
 * still gets nulls (the agent hears empty strings).
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { BACKENDS, openTestDatabase, seedClient, type TestDatabase } from '../support/databases.js';

const CLIENT = 'smart-tax-nation';
const NOW = new Date('2026-03-02T15:00:00Z');

describe.each(BACKENDS)('migration 0030 (the profile on the customer row) on %s', (kind) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it('a profile stored before the migration is what caller_memory returns after it', async () => {
    database = await openTestDatabase(kind, { migrate: false });
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const upTo0028 = await migrator.migrateTo('0028_caller_memory_staff');
    expect(upTo0028.error).toBeUndefined();
    await seedClient(database, CLIENT);
    const [withProfile, without] = await Promise.all(
      ['+12125550181', '+12125550182'].map(async (phone) => {
        const inserted = await sql<{ id: number }>`
          insert into customers (client_id, phone, name, call_count, created_at, updated_at)
          values (${CLIENT}, ${phone}, 'Morgan Ellis', 2, ${NOW}, ${NOW}) returning id`.execute(database!.db);
        return { phone, id: Number(inserted.rows[0]!.id) };
      }),
    );
    await sql`
      insert into caller_profiles (customer_id, client_id, intent_last, needs, language, open_issue, guidance, calls_counted, updated_at)
      values (${withProfile!.id}, ${CLIENT}, 'status', ${['reassurance', 'time_pressed']}, 'es', 'Where is my refund',
              'Returning caller, anxious about a refund: reassure first.', 2, ${NOW})`.execute(database.db);

    expect(await migrateToLatest(database)).toContain('0030_profile_on_customer');

    const memory = async (phone: string) =>
      (await sql<Record<string, unknown>>`select * from caller_memory(${CLIENT}, ${phone}, ${NOW})`.execute(database!.db)).rows[0];
    expect(await memory(withProfile!.phone)).toMatchObject({
      name: 'Morgan Ellis',
      profile_intent: 'status',
      profile_needs: ['reassurance', 'time_pressed'],
      profile_language: 'es',
      profile_open_issue: 'Where is my refund',
      profile_guidance: 'Returning caller, anxious about a refund: reassure first.',
    });
    expect(await memory(without!.phone)).toMatchObject({
      name: 'Morgan Ellis',
      profile_intent: null,
      profile_needs: null,
      profile_language: null,
      profile_open_issue: null,
      profile_guidance: null,
    });
    // No longer a join: the function reads the customer's row only.
    const definition = await sql<{ text: string }>`select pg_get_functiondef('caller_memory(text, text, timestamptz)'::regprocedure) as text`.execute(
      database.db,
    );
    expect(definition.rows[0]!.text).not.toContain('caller_profiles');
  });
});
