/**
 * Vendor credentials typed into the dashboard or the CLI, sealed with the secret box (AES-256-GCM) and
 * write-only: they are opened only to build the office's runtime, never returned by an API, an export, a log
 * or an audit row (the audit says which credential changed, not its value).
 */
import type { Kysely } from 'kysely';
import type { StoredSecrets, SecretKey } from '../config/secrets.js';
import { isSecretKey } from '../config/secrets.js';
import type { SecretBox } from '../core/crypto.js';
import { writeAudit } from '../dashboard/audit.js';
import type { DB } from '../db/schema.js';
import { OFFICE_CHANGED_EVENT, type OfficeStoreDeps } from './store.js';

export interface StoredSecretInfo {
  name: SecretKey;
  updatedBy: string;
  updatedAt: Date;
}

/** Sets (or, with null, clears) one credential of an office. */
export async function setOfficeSecret(
  deps: OfficeStoreDeps & { secretBox: SecretBox },
  slug: string,
  name: SecretKey,
  value: string | null,
  author: string,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    if (value === null) {
      await trx.deleteFrom('client_secrets').where('client_id', '=', slug).where('name', '=', name).execute();
    } else {
      const sealed = deps.secretBox.seal(value);
      const now = deps.clock.now();
      await trx
        .insertInto('client_secrets')
        .values({ client_id: slug, name, sealed, updated_by: author, updated_at: now })
        .onConflict((conflict) => conflict.columns(['client_id', 'name']).doUpdateSet({ sealed, updated_by: author, updated_at: now }))
        .execute();
    }
    await writeAudit(trx, deps.clock, {
      actor: author,
      clientId: slug,
      action: 'office.secret',
      target: `${slug} ${name}`,
      after: { [name]: value === null ? 'cleared' : 'changed' },
    });
    await deps.bus?.publish({ type: OFFICE_CHANGED_EVENT, clientId: slug, data: { secret: name } }, trx);
  });
}

/** Which credentials are stored for an office (names and who set them; never values). */
export async function storedSecretNames(db: Kysely<DB>, slug: string): Promise<StoredSecretInfo[]> {
  const rows = await db.selectFrom('client_secrets').select(['name', 'updated_by', 'updated_at']).where('client_id', '=', slug).orderBy('name').execute();
  return rows.filter((row) => isSecretKey(row.name)).map((row) => ({ name: row.name as SecretKey, updatedBy: row.updated_by, updatedAt: row.updated_at }));
}

/** The opened credentials of an office, to build its runtime. */
export async function loadStoredSecrets(db: Kysely<DB>, secretBox: SecretBox, slug: string): Promise<StoredSecrets> {
  const rows = await db.selectFrom('client_secrets').select(['name', 'sealed']).where('client_id', '=', slug).execute();
  const secrets: StoredSecrets = {};
  for (const row of rows) {
    if (isSecretKey(row.name)) secrets[row.name] = secretBox.open(row.sealed);
  }
  return secrets;
}
