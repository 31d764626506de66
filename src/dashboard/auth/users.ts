/** Dashboard users: create, find, and the client scope each one may see (admins: every client). */
import type { Kysely } from 'kysely';
import { writeAudit } from '../audit.js';
import type { Clock } from '../../core/clock.js';
import type { DB } from '../../db/schema.js';
import type { UserRole } from '../../db/tables/dashboard.js';
import { PASSWORD_COST, hashPassword, type ScryptCost } from './password.js';
import { clearAccountLimit } from './sign-in-limits.js';

export interface DashboardUser {
  id: number;
  email: string;
  role: UserRole;
  /** The clients a staff user may see; for admins, every client configured. */
  clientIds: string[];
}

export class UserInputError extends Error {}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewUser {
  email: string;
  password: string;
  role: UserRole;
  clientIds?: string[];
  /** Who added the user, for the audit log ("cli (root)", "first start"). */
  actor: string;
}

/** `cost`: scrypt parameters (PASSWORD_COST; tests pass their app's cheaper `context.passwordCost`). */
export async function createUser(db: Kysely<DB>, clock: Clock, input: NewUser, cost: ScryptCost = PASSWORD_COST): Promise<{ id: number; created: boolean }> {
  const email = normaliseEmail(input.email);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new UserInputError(`"${input.email}" is not an e-mail address.`);
  if (input.password.length < 10) throw new UserInputError('The password must be at least 10 characters long.');
  const clientIds = [...new Set(input.clientIds ?? [])];
  if (input.role === 'staff' && clientIds.length === 0) {
    throw new UserInputError('A staff user needs at least one client (--client <slug>).');
  }
  if (clientIds.length > 0) {
    const known = await db.selectFrom('clients').select('id').where('id', 'in', clientIds).execute();
    const missing = clientIds.filter((id) => !known.some((row) => row.id === id));
    if (missing.length > 0) throw new UserInputError(`Unknown client(s): ${missing.join(', ')}.`);
  }
  // A hash costs about 0.3 s and 128 MiB: none for an e-mail that is already a user (the insert below still
  // settles a race between two adds of the same e-mail).
  const existing = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (existing) return { id: existing.id, created: false };
  const passwordHash = await hashPassword(input.password, cost);
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    const inserted = await trx
      .insertInto('users')
      .values({ email, password_hash: passwordHash, role: input.role, created_at: now, updated_at: now })
      .onConflict((conflict) => conflict.column('email').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { id: (await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id, created: false };
    if (input.role === 'staff' && clientIds.length > 0) {
      await trx
        .insertInto('user_clients')
        .values(clientIds.map((clientId) => ({ user_id: inserted.id, client_id: clientId })))
        .execute();
    }
    await writeAudit(trx, clock, {
      actor: input.actor,
      clientId: null,
      action: 'user.add',
      target: `user:${inserted.id}`,
      after: { email, role: input.role, clients: input.role === 'staff' ? clientIds : 'all' },
    });
    return { id: inserted.id, created: true };
  });
}

export async function setUserPassword(
  db: Kysely<DB>,
  clock: Clock,
  email: string,
  password: string,
  actor: string,
  cost: ScryptCost = PASSWORD_COST,
): Promise<boolean> {
  if (password.length < 10) throw new UserInputError('The password must be at least 10 characters long.');
  const passwordHash = await hashPassword(password, cost);
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: clock.now() })
      .where('email', '=', normaliseEmail(email))
      .returning('id')
      .executeTakeFirst();
    if (!user) return false;
    // A new password ends every open session of that user, and lifts a sign-in lock on the account.
    const ended = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
    await clearAccountLimit(trx, normaliseEmail(email));
    await writeAudit(trx, clock, {
      actor,
      clientId: null,
      action: 'user.reset_password',
      target: `user:${user.id}`,
      after: { sessionsEnded: Number(ended.numDeletedRows) },
    });
    return true;
  });
}

export async function loadUser(db: Kysely<DB>, userId: number, allClientIds: string[]): Promise<DashboardUser | undefined> {
  const row = await db.selectFrom('users').select(['id', 'email', 'role', 'disabled_at']).where('id', '=', userId).executeTakeFirst();
  if (!row || row.disabled_at) return undefined;
  if (row.role === 'admin') return { id: row.id, email: row.email, role: 'admin', clientIds: allClientIds };
  const scope = await db.selectFrom('user_clients').select('client_id').where('user_id', '=', row.id).execute();
  const clientIds = scope.map((entry) => entry.client_id).filter((id) => allClientIds.includes(id));
  return { id: row.id, email: row.email, role: 'staff', clientIds };
}

export async function countUsers(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
