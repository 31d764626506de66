/**
 * Signing in: the sign-in limits first (nothing is checked for a refused attempt), then the password (an
 * unknown e-mail costs the same scrypt as a wrong password), then a re-hash of a hash made with weaker
 * parameters. Lockouts of real accounts and the first refusal of an address or of everyone go to the Activity log.
 */
import type { AppContext } from '../../app-context.js';
import { writeAudit } from '../audit.js';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password.js';
import { claimSignInAttempt, recordSignInSuccess, type Refusal } from './sign-in-limits.js';

/** The Activity log's actor for rows the sign-in limits write. */
export const SIGN_IN_LIMIT_ACTOR = 'sign-in limits';

export interface SignInInput {
  /** Normalised (users.normaliseEmail). */
  email: string;
  password: string;
  /** The client's address as the proxy trust settings give it (request.ip). */
  address: string;
}

export type SignInOutcome = { ok: true; userId: number } | { ok: false; reason: 'refused'; refusal: Refusal } | { ok: false; reason: 'invalid_credentials' };

export async function signIn(context: AppContext, input: SignInInput): Promise<SignInOutcome> {
  const claim = await claimSignInAttempt(context.db, context.clock, { email: input.email, address: input.address });
  if (!claim.ok) {
    for (const refusal of claim.refusals.filter((entry) => entry.first)) {
      await writeAudit(context.db, context.clock, {
        actor: SIGN_IN_LIMIT_ACTOR,
        clientId: null,
        action: refusal.limit === 'address' ? 'session.address_limit' : 'session.global_limit',
        target: refusal.limit === 'address' ? claim.keys.address : null,
        after: { until: new Date(context.clock.now().getTime() + refusal.retryAfterMs).toISOString() },
      });
    }
    const longest = claim.refusals.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    return { ok: false, reason: 'refused', refusal: longest };
  }

  const user = await context.db.selectFrom('users').select(['id', 'password_hash', 'disabled_at']).where('email', '=', input.email).executeTakeFirst();
  const valid = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash(context.passwordCost)));
  if (!user || !valid || user.disabled_at) {
    if (user && claim.locksAccountUntil) {
      // Unknown e-mails are locked the same way (the answer must not tell them apart) but only real accounts
      // get an Activity row: a guesser's invented e-mails would otherwise fill the log.
      await writeAudit(context.db, context.clock, {
        actor: SIGN_IN_LIMIT_ACTOR,
        clientId: null,
        action: 'session.lockout',
        target: `user:${user.id}`,
        after: { email: input.email, address: input.address, lockedUntil: claim.locksAccountUntil.toISOString() },
      });
    }
    return { ok: false, reason: 'invalid_credentials' };
  }

  await recordSignInSuccess(context.db, context.clock, claim);
  if (needsRehash(user.password_hash, context.passwordCost)) await rehashPassword(context, user.id, user.password_hash, input.password);
  return { ok: true, userId: user.id };
}

/**
 * The stored hash was made with weaker scrypt parameters than today's: replace it now that the password is at
 * hand. Only if it is still the hash just verified, so a password set meanwhile is never overwritten.
 */
async function rehashPassword(context: AppContext, userId: number, oldHash: string, password: string): Promise<void> {
  const newHash = await hashPassword(password, context.passwordCost);
  const updated = await context.db
    .updateTable('users')
    .set({ password_hash: newHash })
    .where('id', '=', userId)
    .where('password_hash', '=', oldHash)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) context.logger.info({ userId }, 'Re-hashed a password with the current scrypt parameters');
}
