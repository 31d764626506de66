/**
 * Offices in the database, versioned. Every change is a new `client_versions` row holding the whole document
 * as written (before zod defaults, so an export reads like the file it came from), with its author, source and
 * the leaf-level diff; `clients.current_version` names the version in force. Saving validates first (the zod
 * schema and the cross-office rules) and announces the change with NOTIFY, so every instance reloads it.
 */
import { sql, type Kysely } from 'kysely';
import type { ClientConfig, ConfigProblem } from '../config/client-schema.js';
import type { Clock } from '../core/clock.js';
import { writeAudit } from '../dashboard/audit.js';
import { json } from '../db/json.js';
import type { DB, OfficeChange } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { officeChanges } from './diff.js';
import { validateOfficeDocument } from './validate.js';

export const OFFICE_CHANGED_EVENT = 'office.changed';

export interface OfficeStoreDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Announces the change to every instance (on commit); absent in CLI runs against a stopped PGlite. */
  bus?: EventBus;
}

export type OfficeSource = 'dashboard' | 'cli' | 'file' | 'rollback' | 'wizard';

export interface SaveOfficeInput {
  document: Record<string, unknown>;
  author: string;
  source: OfficeSource;
  sourceFile?: string;
  sourceHash?: string;
  /** Optimistic concurrency: refuse if the office's current version is not this one (0: must not exist yet). */
  expectedVersion?: number;
}

export type SaveOfficeResult =
  | { ok: true; slug: string; version: number; created: boolean; changes: OfficeChange[]; unchanged: boolean }
  | { ok: false; reason: 'invalid'; problems: ConfigProblem[] }
  | { ok: false; reason: 'conflict'; currentVersion: number };

export interface StoredOffice {
  slug: string;
  version: number;
  document: Record<string, unknown>;
  status: string;
}

/** The version in force of every active office (or of one, by slug). */
export async function loadOfficeDocuments(db: Kysely<DB>, slug?: string): Promise<StoredOffice[]> {
  let query = db
    .selectFrom('clients')
    .innerJoin('client_versions', (join) =>
      join.onRef('client_versions.client_id', '=', 'clients.id').onRef('client_versions.version', '=', 'clients.current_version'),
    )
    .select(['clients.id as slug', 'clients.status', 'client_versions.version', 'client_versions.document'])
    .where('clients.status', '=', 'active')
    .orderBy('clients.id');
  if (slug !== undefined) query = query.where('clients.id', '=', slug);
  return query.execute();
}

/** Other offices' parsed configs, for the cross-office rules. Unparseable ones are skipped (they are broken anyway). */
async function otherOffices(db: Kysely<DB>, slug: string): Promise<ClientConfig[]> {
  const rows = await loadOfficeDocuments(db);
  const configs: ClientConfig[] = [];
  for (const row of rows) {
    if (row.slug === slug) continue;
    const validation = validateOfficeDocument(row.document, row.slug);
    if (validation.ok) configs.push(validation.config);
  }
  return configs;
}

export async function saveOfficeVersion(deps: OfficeStoreDeps, input: SaveOfficeInput): Promise<SaveOfficeResult> {
  const slugGiven = typeof input.document.slug === 'string' ? input.document.slug : '';
  const where = input.sourceFile ?? (slugGiven || 'office');
  return deps.db.transaction().execute(async (trx) => {
    const others = await otherOffices(trx, slugGiven);
    const validation = validateOfficeDocument(input.document, where, others);
    if (!validation.ok) return { ok: false, reason: 'invalid', problems: validation.problems } as const;
    const config = validation.config;
    const slug = config.slug;

    // The row lock serialises two saves of one office (two instances, two tabs): versions never collide.
    await trx
      .insertInto('clients')
      .values({ id: slug, name: config.name, timezone: config.timezone, settings: json({}), current_version: null })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    const row = await trx.selectFrom('clients').select(['current_version', 'status']).where('id', '=', slug).forUpdate().executeTakeFirstOrThrow();
    const active = row.status === 'active' && row.current_version !== null;
    const currentVersion = active ? row.current_version! : 0;
    if (input.expectedVersion !== undefined && input.expectedVersion !== currentVersion) {
      return { ok: false, reason: 'conflict', currentVersion } as const;
    }
    const latest = await trx
      .selectFrom('client_versions')
      .select(({ fn }) => fn.max('version').as('max'))
      .where('client_id', '=', slug)
      .executeTakeFirst();
    const previous = active
      ? await trx.selectFrom('client_versions').select('document').where('client_id', '=', slug).where('version', '=', currentVersion).executeTakeFirst()
      : undefined;
    const changes = officeChanges(previous?.document, input.document);
    if (active && changes.length === 0) {
      return { ok: true, slug, version: currentVersion, created: false, changes, unchanged: true } as const;
    }
    const version = Number(latest?.max ?? 0) + 1;
    const now = deps.clock.now();
    await trx
      .insertInto('client_versions')
      .values({
        client_id: slug,
        version,
        document: json(input.document),
        author: input.author,
        source: input.source,
        source_file: input.sourceFile ?? null,
        source_hash: input.sourceHash ?? null,
        diff: json(changes),
        created_at: now,
      })
      .execute();
    await trx
      .updateTable('clients')
      .set({ name: config.name, timezone: config.timezone, current_version: version, status: 'active', updated_at: now })
      .where('id', '=', slug)
      .execute();
    await writeAudit(trx, deps.clock, {
      actor: input.author,
      clientId: slug,
      action: !active ? 'office.create' : input.source === 'rollback' ? 'office.rollback' : 'office.update',
      target: `${slug} v${version}`,
      before: active ? { version: currentVersion, ...valuesByPath(changes, 'before') } : undefined,
      after: { version, source: input.source, ...valuesByPath(changes, 'after') },
    });
    await deps.bus?.publish({ type: OFFICE_CHANGED_EVENT, clientId: slug, data: { version } }, trx);
    return { ok: true, slug, version, created: !active, changes, unchanged: false } as const;
  });
}

/** `{ 'businessHours.monday[0].open': '09:00' }`: the Activity screen shows each path before → after. */
function valuesByPath(changes: OfficeChange[], side: 'before' | 'after'): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const change of changes.slice(0, 200)) {
    if (side in change) values[change.path] = change[side];
  }
  return values;
}

export interface OfficeVersionSummary {
  version: number;
  author: string;
  source: string;
  sourceFile: string | null;
  createdAt: Date;
  changes: OfficeChange[];
  current: boolean;
}

export async function listOfficeVersions(db: Kysely<DB>, slug: string): Promise<OfficeVersionSummary[]> {
  const current = await db.selectFrom('clients').select(['current_version', 'status']).where('id', '=', slug).executeTakeFirst();
  const rows = await db
    .selectFrom('client_versions')
    .select(['version', 'author', 'source', 'source_file', 'created_at', 'diff'])
    .where('client_id', '=', slug)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((row) => ({
    version: row.version,
    author: row.author,
    source: row.source,
    sourceFile: row.source_file,
    createdAt: row.created_at,
    changes: row.diff,
    current: current?.status === 'active' && current.current_version === row.version,
  }));
}

export async function getOfficeVersion(db: Kysely<DB>, slug: string, version: number): Promise<Record<string, unknown> | undefined> {
  const row = await db.selectFrom('client_versions').select('document').where('client_id', '=', slug).where('version', '=', version).executeTakeFirst();
  return row?.document;
}

/** Makes an earlier version current again, as a new version (history is never rewritten). */
export async function rollbackOffice(
  deps: OfficeStoreDeps,
  slug: string,
  version: number,
  author: string,
): Promise<SaveOfficeResult | { ok: false; reason: 'not_found' }> {
  const document = await getOfficeVersion(deps.db, slug, version);
  if (!document) return { ok: false, reason: 'not_found' };
  return saveOfficeVersion(deps, { document, author, source: 'rollback' });
}

/** Stops serving an office. Its calls, messages and versions stay (history and the law want them). */
export async function removeOffice(deps: OfficeStoreDeps, slug: string, author: string): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('clients')
      .set({ status: 'removed', updated_at: deps.clock.now() })
      .where('id', '=', slug)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await writeAudit(trx, deps.clock, { actor: author, clientId: slug, action: 'office.remove', target: slug });
    await deps.bus?.publish({ type: OFFICE_CHANGED_EVENT, clientId: slug, data: { removed: true } }, trx);
    return true;
  });
}

/** Hash of the file's text last imported for each office, to import a file again only when it changed. */
export async function lastImportedHashes(db: Kysely<DB>): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('client_versions')
    .select(['client_id', 'source_hash'])
    .where('source', '=', 'file')
    .where('version', '=', sql<number>`(select max(v.version) from client_versions v where v.client_id = client_versions.client_id and v.source = 'file')`)
    .execute();
  return new Map(rows.filter((row) => row.source_hash).map((row) => [row.client_id, row.source_hash!]));
}
