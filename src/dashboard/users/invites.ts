/**
 * One-time links for dashboard accounts. An admin invites someone by e-mail (role and offices chosen up front)
 * or sends an existing user a password-reset link; the person opens the link and chooses a password.
 *
 * The link carries 32 random bytes. The database looks links up by the token's SHA-256 only; the token is
 * sealed (secret box) for the e-mail handler until the e-mail is out, then forgotten. A link works once
 * (claimed by one conditional UPDATE, so two tabs submitting at once make one account) and for 72 hours.
 * Audit rows and API answers never carry the token or any hash.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AppContext } from '../../app-context.js';
import { json } from '../../db/json.js';
import type { DB } from '../../db/schema.js';
import type { UserInvitePurpose, UserInvitesTable, UserRole } from '../../db/tables/dashboard.js';
import { enqueue } from '../../outbox/enqueue.js';
import { writeAudit } from '../audit.js';
import { hashPassword } from '../auth/password.js';
import { clearAccountLimit } from '../auth/sign-in-limits.js';
import { hashToken } from '../auth/sessions.js';
import { normaliseEmail } from '../auth/users.js';
import { announceUserChange } from './events.js';

export const INVITE_TTL_MS = 72 * 60 * 60 * 1000;
export const USER_INVITE_EMAIL_KIND = 'user_invite_email';
export const MIN_PASSWORD_LENGTH = 10;

export type UserDeps = Pick<AppContext, 'db' | 'clock' | 'secretBox' | 'clients' | 'bus' | 'passwordCost'>;

/** What an admin or the invitee may see of a link: never the token or its hash. */
export interface InviteView {
  id: number;
  purpose: UserInvitePurpose;
  email: string;
  role: UserRole;
  clientIds: string[];
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

/** Every column but the token's hash and sealed form, which never leave this file. */
const INVITE_COLUMNS = [
  'id',
  'purpose',
  'email',
  'user_id',
  'role',
  'client_ids',
  'send_client_id',
  'invited_by',
  'created_at',
  'expires_at',
  'used_at',
  'revoked_at',
] as const;
type InviteRow = Pick<Selectable<UserInvitesTable>, (typeof INVITE_COLUMNS)[number]>;

export function inviteView(row: InviteRow): InviteView {
  return {
    id: row.id,
    purpose: row.purpose,
    email: row.email,
    role: row.role,
    clientIds: row.client_ids,
    invitedBy: row.invited_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}

export type InviteRefusal = {
  ok: false;
  reason: 'invalid_email' | 'user_exists' | 'staff_needs_office' | 'unknown_offices' | 'no_office' | 'busy' | 'user_not_found' | 'user_disabled';
  message: string;
};

/** A link's token: 32 random bytes, base64url (43 characters). */
export function isTokenShape(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/**
 * The office whose e-mail sender carries the link: the invitee's first office, else (an admin) the first office
 * served. Outbox rows belong to an office, and every e-mail leaves through one.
 */
function senderOffice(deps: UserDeps, clientIds: string[]): string | undefined {
  return clientIds.find((id) => deps.clients.get(id)) ?? deps.clients.slugs().sort()[0];
}

function unknownOffices(deps: UserDeps, clientIds: string[]): string[] {
  return clientIds.filter((id) => !deps.clients.get(id));
}

/**
 * Checks the role and offices an admin chose. Staff need at least one office that is served; admins see every
 * office, so theirs are not kept.
 */
export function checkScope(
  deps: UserDeps,
  role: UserRole,
  clientIds: string[],
): { ok: true; clientIds: string[] } | { ok: false; reason: 'staff_needs_office' | 'unknown_offices'; message: string } {
  const unique = [...new Set(clientIds)];
  const unknown = unknownOffices(deps, unique);
  if (unknown.length > 0) return { ok: false, reason: 'unknown_offices', message: `No office is called ${unknown.map((id) => `"${id}"`).join(', ')}.` };
  if (role === 'staff' && unique.length === 0) return { ok: false, reason: 'staff_needs_office', message: 'Choose at least one office for a staff user.' };
  return { ok: true, clientIds: role === 'staff' ? unique : [] };
}

interface IssueInput {
  purpose: UserInvitePurpose;
  email: string;
  userId: number | null;
  role: UserRole;
  clientIds: string[];
  actor: string;
}

/** Writes the link and the outbox row that e-mails it, in one transaction, replacing any open link of that purpose. */
async function issueLink(deps: UserDeps, trx: Kysely<DB>, input: IssueInput): Promise<{ ok: true; invite: InviteView } | InviteRefusal> {
  const sendVia = senderOffice(deps, input.clientIds);
  if (!sendVia) return { ok: false, reason: 'no_office', message: 'Invitations are e-mailed through an office; add an office first.' };
  const office = deps.clients.get(sendVia)!;
  const now = deps.clock.now();
  const token = randomBytes(32).toString('base64url');
  await trx
    .updateTable('user_invites')
    .set({ revoked_at: now, token_sealed: null })
    .where('email', '=', input.email)
    .where('purpose', '=', input.purpose)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
  const row = await trx
    .insertInto('user_invites')
    .values({
      purpose: input.purpose,
      token_hash: hashToken(token),
      token_sealed: deps.secretBox.seal(token),
      email: input.email,
      user_id: input.userId,
      role: input.role,
      client_ids: json(input.clientIds),
      send_client_id: sendVia,
      invited_by: input.actor,
      created_at: now,
      expires_at: new Date(now.getTime() + INVITE_TTL_MS),
    })
    // Another admin sent a link to the same address at the same moment: theirs stands.
    .onConflict((conflict) => conflict.columns(['email', 'purpose']).where('used_at', 'is', null).where('revoked_at', 'is', null).doNothing())
    .returning(INVITE_COLUMNS)
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'busy', message: 'Another link for this address was sent a moment ago; reload the list.' };
  await enqueue(trx, deps.clock, {
    clientId: sendVia,
    kind: USER_INVITE_EMAIL_KIND,
    payload: { inviteId: row.id },
    dedupeKey: `${USER_INVITE_EMAIL_KIND}:${row.id}`,
    retry: { maxAttempts: office.config.retry.maxAttempts, intervalMs: office.config.retry.intervalSeconds * 1000 },
  });
  return { ok: true, invite: inviteView(row) };
}

export interface NewInvite {
  email: string;
  role: UserRole;
  clientIds: string[];
  /** The admin's e-mail, for the audit log and the e-mail's text. */
  actor: string;
}

export async function inviteUser(deps: UserDeps, input: NewInvite): Promise<{ ok: true; invite: InviteView } | InviteRefusal> {
  const email = normaliseEmail(input.email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return { ok: false, reason: 'invalid_email', message: `"${input.email}" is not an e-mail address.` };
  const scope = checkScope(deps, input.role, input.clientIds);
  if (!scope.ok) return scope;
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) return { ok: false, reason: 'user_exists', message: `${email} has an account already; use "Reset password" on their row instead.` } as const;
    const issued = await issueLink(deps, trx, { purpose: 'invite', email, userId: null, role: input.role, clientIds: scope.clientIds, actor: input.actor });
    if (!issued.ok) return issued;
    await writeAudit(trx, deps.clock, {
      actor: input.actor,
      clientId: null,
      action: 'user.invite',
      target: `invite:${issued.invite.id}`,
      after: { email, role: input.role, clients: input.role === 'staff' ? scope.clientIds : 'all', expiresAt: issued.invite.expiresAt },
    });
    return issued;
  });
}

/** E-mails an existing, enabled user a link to choose a new password. The current password works until it is used. */
export async function sendPasswordReset(deps: UserDeps, input: { userId: number; actor: string }): Promise<{ ok: true; invite: InviteView } | InviteRefusal> {
  return deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'email', 'role', 'disabled_at']).where('id', '=', input.userId).forUpdate().executeTakeFirst();
    if (!user) return { ok: false, reason: 'user_not_found', message: 'That user was not found.' } as const;
    if (user.disabled_at)
      return { ok: false, reason: 'user_disabled', message: `${user.email} is disabled; enable the account before sending a reset link.` } as const;
    const scope = await trx.selectFrom('user_clients').select('client_id').where('user_id', '=', user.id).execute();
    const issued = await issueLink(deps, trx, {
      purpose: 'reset',
      email: user.email,
      userId: user.id,
      role: user.role,
      clientIds: scope.map((entry) => entry.client_id),
      actor: input.actor,
    });
    if (!issued.ok) return issued;
    await writeAudit(trx, deps.clock, {
      actor: input.actor,
      clientId: null,
      action: 'user.reset_link',
      target: `user:${user.id}`,
      after: { email: user.email, expiresAt: issued.invite.expiresAt },
    });
    return issued;
  });
}

export type LinkRefusal = { ok: false; reason: 'not_found' | 'used' | 'expired' | 'revoked'; message: string };

const LINK_MESSAGES: Record<LinkRefusal['reason'], string> = {
  not_found: 'This link is not valid. Check that you opened the whole link from the e-mail, or ask your admin for a new one.',
  used: 'This link has been used already. Sign in with your password, or ask your admin for a new link.',
  expired: 'This link has expired. Ask your admin to send a new one.',
  revoked: 'This link was replaced or withdrawn. Use the newest e-mail, or ask your admin for a new link.',
};

function refusal(reason: LinkRefusal['reason']): LinkRefusal {
  return { ok: false, reason, message: LINK_MESSAGES[reason] };
}

function linkState(row: InviteRow, now: Date): LinkRefusal | undefined {
  if (row.used_at) return refusal('used');
  if (row.revoked_at) return refusal('revoked');
  if (row.expires_at.getTime() <= now.getTime()) return refusal('expired');
  return undefined;
}

/** What the link's page shows before the password is chosen: who, which role and offices, until when. */
export async function openLink(deps: UserDeps, token: string): Promise<{ ok: true; invite: InviteView } | LinkRefusal> {
  if (!isTokenShape(token)) return refusal('not_found');
  const row = await deps.db.selectFrom('user_invites').select(INVITE_COLUMNS).where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row) return refusal('not_found');
  return linkState(row, deps.clock.now()) ?? { ok: true, invite: inviteView(row) };
}

export type AcceptResult =
  | { ok: true; userId: number; email: string; purpose: UserInvitePurpose }
  | LinkRefusal
  | { ok: false; reason: 'user_exists' | 'user_disabled' | 'no_office'; message: string };

/**
 * Uses a link: an invitation makes the account (role and offices as the admin chose them), a reset sets the new
 * password and ends every session of that user. The link is claimed and the account written in one transaction.
 */
export async function acceptLink(deps: UserDeps, input: { token: string; password: string }): Promise<AcceptResult> {
  // A link that cannot be used costs no scrypt; the claim below decides for the links that can.
  const open = await openLink(deps, input.token);
  if (!open.ok) return open;
  const tokenHash = hashToken(input.token);
  // scrypt is slow on purpose: hash before the transaction so no row lock waits on it.
  const passwordHash = await hashPassword(input.password, deps.passwordCost);
  return deps.db
    .transaction()
    .execute(async (trx): Promise<AcceptResult> => {
      const now = deps.clock.now();
      const claimed = await trx
        .updateTable('user_invites')
        .set({ used_at: now, token_sealed: null })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(INVITE_COLUMNS)
        .executeTakeFirst();
      if (!claimed) {
        const row = await trx.selectFrom('user_invites').select(INVITE_COLUMNS).where('token_hash', '=', tokenHash).executeTakeFirst();
        return (row && linkState(row, now)) || refusal('not_found');
      }
      const result =
        claimed.purpose === 'reset' ? await acceptReset(deps, trx, claimed, passwordHash, now) : await acceptInvite(deps, trx, claimed, passwordHash, now);
      // A refusal leaves the link as it was: roll the claim back.
      if (!result.ok) throw new Refused(result);
      return result;
    })
    .catch((error: unknown): AcceptResult => {
      if (error instanceof Refused) return error.result;
      // Someone made the same account meanwhile (the CLI, a second invitation accepted a moment earlier).
      if (isUniqueViolation(error))
        return {
          ok: false,
          reason: 'user_exists',
          message: 'An account with this e-mail exists already. Sign in, or ask your admin to send a password-reset link.',
        };
      throw error;
    });
}

async function acceptInvite(deps: UserDeps, trx: Kysely<DB>, invite: InviteRow, passwordHash: string, now: Date): Promise<AcceptResult> {
  // Offices removed since the invitation was sent are dropped; a staff user left with none is not made.
  const clientIds = invite.role === 'staff' ? invite.client_ids.filter((id) => deps.clients.get(id)) : [];
  if (invite.role === 'staff' && clientIds.length === 0) {
    return { ok: false, reason: 'no_office', message: 'The offices of this invitation no longer exist. Ask your admin for a new invitation.' };
  }
  const user = await trx
    .insertInto('users')
    .values({ email: invite.email, password_hash: passwordHash, role: invite.role, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (clientIds.length > 0)
    await trx
      .insertInto('user_clients')
      .values(clientIds.map((clientId) => ({ user_id: user.id, client_id: clientId })))
      .execute();
  await writeAudit(trx, deps.clock, {
    actor: invite.email,
    clientId: null,
    action: 'user.invite_accept',
    target: `user:${user.id}`,
    after: { email: invite.email, role: invite.role, clients: invite.role === 'staff' ? clientIds : 'all', invitedBy: invite.invited_by, invite: invite.id },
  });
  return { ok: true, userId: user.id, email: invite.email, purpose: 'invite' };
}

async function acceptReset(deps: UserDeps, trx: Kysely<DB>, invite: InviteRow, passwordHash: string, now: Date): Promise<AcceptResult> {
  const user = await trx
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now })
    .where('id', '=', invite.user_id!)
    .where('disabled_at', 'is', null)
    .returning(['id', 'email'])
    .executeTakeFirst();
  if (!user) return { ok: false, reason: 'user_disabled', message: 'This account is disabled. Ask your admin.' };
  // A new password ends every open session of that user and lifts a sign-in lock, as `switchboard user reset-password` does.
  const ended = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
  await clearAccountLimit(trx, user.email);
  await writeAudit(trx, deps.clock, {
    actor: user.email,
    clientId: null,
    action: 'user.reset_password',
    target: `user:${user.id}`,
    after: { via: 'link', sessionsEnded: Number(ended.numDeletedRows) },
  });
  await announceUserChange(deps, trx, user.id, true);
  return { ok: true, userId: user.id, email: user.email, purpose: 'reset' };
}

/** Withdraws an open link (the admin changed their mind, or invited the wrong address). */
export async function revokeLink(deps: UserDeps, input: { id: number; actor: string }): Promise<{ ok: true } | { ok: false; reason: 'not_found' }> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('user_invites')
      .set({ revoked_at: deps.clock.now(), token_sealed: null })
      .where('id', '=', input.id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .returning(['id', 'email', 'purpose'])
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'not_found' } as const;
    await writeAudit(trx, deps.clock, {
      actor: input.actor,
      clientId: null,
      action: 'user.invite_revoke',
      target: `invite:${row.id}`,
      after: { email: row.email, purpose: row.purpose },
    });
    return { ok: true } as const;
  });
}

/** The open (not used, not withdrawn) links, expired ones included so an admin sees they need resending. */
export async function listOpenLinks(deps: Pick<UserDeps, 'db' | 'clock'>): Promise<Array<InviteView & { expired: boolean }>> {
  const rows = await deps.db
    .selectFrom('user_invites')
    .select(INVITE_COLUMNS)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const now = deps.clock.now().getTime();
  return rows.map((row) => ({ ...inviteView(row), expired: row.expires_at.getTime() <= now }));
}

/** Carries an expected refusal out of a transaction so that the transaction rolls back. */
class Refused extends Error {
  constructor(readonly result: Exclude<AcceptResult, { ok: true }>) {
    super(result.message);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
