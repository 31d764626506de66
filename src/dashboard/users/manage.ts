/**
 * Admins manage dashboard users: the list, and changes of role, offices and standing (disabled or not). A
 * disabled user's sessions end in the same transaction and their open reset links are withdrawn; sign-in then
 * refuses them with the wrong-password message. Switchboard always keeps one enabled admin, and nobody disables
 * their own account.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { UserRole } from '../../db/tables/dashboard.js';
import { writeAudit } from '../audit.js';
import type { DashboardUser } from '../auth/users.js';
import { announceUserChange } from './events.js';
import { checkScope, type UserDeps } from './invites.js';

export interface UserView {
  id: number;
  email: string;
  role: UserRole;
  /** The offices a staff user sees; empty for admins (they see every office). */
  clientIds: string[];
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

/** Every user by e-mail, or the one user `onlyId`. */
export async function listUsers(db: Kysely<DB>, onlyId?: number): Promise<UserView[]> {
  let users = db.selectFrom('users').select(['id', 'email', 'role', 'disabled_at', 'created_at']);
  let scopes = db.selectFrom('user_clients').select(['user_id', 'client_id']);
  if (onlyId !== undefined) {
    users = users.where('id', '=', onlyId);
    scopes = scopes.where('user_id', '=', onlyId);
  }
  const [userRows, scopeRows] = [await users.orderBy('email').execute(), await scopes.orderBy('client_id').execute()];
  return userRows.map((user) => ({
    id: user.id,
    email: user.email,
    role: user.role,
    clientIds: user.role === 'staff' ? scopeRows.filter((scope) => scope.user_id === user.id).map((scope) => scope.client_id) : [],
    disabled: user.disabled_at !== null,
    disabledAt: user.disabled_at?.toISOString() ?? null,
    createdAt: user.created_at.toISOString(),
  }));
}

export interface UserChange {
  userId: number;
  role?: UserRole;
  clientIds?: string[];
  disabled?: boolean;
  actor: DashboardUser;
}

export type UpdateUserResult =
  | { ok: true; user: UserView; changed: boolean }
  | { ok: false; reason: 'not_found' | 'self_disable' | 'last_admin' | 'staff_needs_office' | 'unknown_offices'; message: string };

interface Standing {
  role: UserRole;
  clients: string[] | 'all';
  disabled: boolean;
}

export async function updateUser(deps: UserDeps, change: UserChange): Promise<UpdateUserResult> {
  return deps.db.transaction().execute(async (trx): Promise<UpdateUserResult> => {
    // Every change that could leave no enabled admin takes these locks first, in one order, so two admins demoting
    // each other at the same moment cannot both succeed (the second re-reads and finds itself the last).
    const admins = await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).orderBy('id').forUpdate().execute();
    const target = await trx.selectFrom('users').select(['id', 'email', 'role', 'disabled_at']).where('id', '=', change.userId).forUpdate().executeTakeFirst();
    if (!target) return { ok: false, reason: 'not_found', message: 'That user was not found.' };
    const scope = await trx.selectFrom('user_clients').select('client_id').where('user_id', '=', target.id).orderBy('client_id').execute();
    const currentClients = scope.map((entry) => entry.client_id);

    const role = change.role ?? target.role;
    let clients: string[] = [];
    if (role === 'staff' && (change.clientIds !== undefined || target.role !== 'staff')) {
      const checked = checkScope(deps, 'staff', change.clientIds ?? []);
      if (!checked.ok) return checked;
      clients = [...checked.clientIds].sort();
    } else if (role === 'staff') {
      // Offices left as they are (even one removed since): disabling someone never fails over their scope.
      clients = currentClients;
    }
    const disabled = change.disabled ?? target.disabled_at !== null;

    if (disabled && target.disabled_at === null && target.id === change.actor.id) {
      return { ok: false, reason: 'self_disable', message: 'You cannot disable your own account; ask another admin.' };
    }
    const wasActiveAdmin = target.role === 'admin' && target.disabled_at === null;
    if (wasActiveAdmin && (role !== 'admin' || disabled) && admins.every((admin) => admin.id === target.id)) {
      return { ok: false, reason: 'last_admin', message: `${target.email} is the last enabled admin; make someone else an admin first.` };
    }

    const before: Standing = { role: target.role, clients: target.role === 'staff' ? currentClients : 'all', disabled: target.disabled_at !== null };
    const after: Standing = { role, clients: role === 'staff' ? clients : 'all', disabled };
    if (JSON.stringify(before) === JSON.stringify(after)) {
      return { ok: true, changed: false, user: (await listUsers(trx, target.id))[0]! };
    }

    const now = deps.clock.now();
    await trx
      .updateTable('users')
      .set({ role, disabled_at: disabled ? (target.disabled_at ?? now) : null, updated_at: now })
      .where('id', '=', target.id)
      .execute();
    if (JSON.stringify(before.clients) !== JSON.stringify(after.clients)) {
      await trx.deleteFrom('user_clients').where('user_id', '=', target.id).execute();
      if (clients.length > 0)
        await trx
          .insertInto('user_clients')
          .values(clients.map((clientId) => ({ user_id: target.id, client_id: clientId })))
          .execute();
    }
    const disabling = disabled && target.disabled_at === null;
    let sessionsEnded = 0;
    if (disabling) {
      // Signed out at once: the API checks the session on every request, and live.ts closes the open feed.
      sessionsEnded = Number((await trx.deleteFrom('sessions').where('user_id', '=', target.id).executeTakeFirst()).numDeletedRows);
      await trx
        .updateTable('user_invites')
        .set({ revoked_at: now, token_sealed: null })
        .where('user_id', '=', target.id)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    }
    await writeAudit(trx, deps.clock, {
      actor: change.actor.email,
      clientId: null,
      action: disabling ? 'user.disable' : before.disabled && !disabled ? 'user.enable' : 'user.edit',
      target: `user:${target.id}`,
      before: { email: target.email, ...before },
      after: { email: target.email, ...after, ...(disabling ? { sessionsEnded } : {}) },
    });
    await announceUserChange(deps, trx, target.id, disabling);
    return { ok: true, changed: true, user: (await listUsers(trx, target.id))[0]! };
  });
}
