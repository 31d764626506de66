/**
 * Sign-in limits that hold whatever address a guesser shows and however many instances run:
 * - per account (the e-mail typed, known or not): 5 free failures, then a lock that doubles with each further
 *   failure (1 min, 2 min, 4 min … at most 1 h); a success clears it, a day without attempts forgets it;
 * - per client address (IPv6: its /64): 20 failures in 15 minutes;
 * - globally: 100 failures a minute across every address and account (a botnet spraying one password).
 * Every counter is a row of `sign_in_limits` (migration 0017), claimed under a row lock before the password is
 * checked, so concurrent guesses on several instances cannot all slip in before the first failure is counted.
 * An attempt counts as a failure until it succeeds; a success gives its address and global count back.
 */
import { isIPv6 } from 'node:net';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DB } from '../../db/schema.js';

export type LimitKind = 'account' | 'address' | 'global';

export interface SignInLimitPolicy {
  account: { freeFailures: number; firstLockMs: number; maxLockMs: number; forgetAfterMs: number };
  address: { max: number; windowMs: number };
  global: { max: number; windowMs: number };
}

export const SIGN_IN_LIMITS: SignInLimitPolicy = {
  account: { freeFailures: 5, firstLockMs: 60_000, maxLockMs: 3_600_000, forgetAfterMs: 86_400_000 },
  address: { max: 20, windowMs: 15 * 60_000 },
  global: { max: 100, windowMs: 60_000 },
};

export interface LimitCounter {
  attempts: number;
  windowStartedAt: Date;
  blockedUntil: Date | null;
  updatedAt: Date;
}

export interface Refusal {
  limit: LimitKind;
  retryAfterMs: number;
  /** The first refusal of this window: the moment to write one Activity row, not one per refused guess. */
  first: boolean;
}

export type AttemptDecision =
  | {
      ok: true;
      /** Counters to store. */
      next: Record<LimitKind, LimitCounter>;
      /** Set when this attempt, if it fails, locks the account until then. */
      locksAccountUntil: Date | undefined;
    }
  | { ok: false; refusals: Refusal[]; next: Partial<Record<LimitKind, LimitCounter>> };

const fresh = (now: Date): LimitCounter => ({ attempts: 0, windowStartedAt: now, blockedUntil: null, updatedAt: now });

/** The rules, without the database: what the counters say about one more attempt at `now`. */
export function decideAttempt(current: Partial<Record<LimitKind, LimitCounter>>, now: Date, policy: SignInLimitPolicy = SIGN_IN_LIMITS): AttemptDecision {
  const refusals: Refusal[] = [];
  const tripped: Partial<Record<LimitKind, LimitCounter>> = {};

  let account = current.account ?? fresh(now);
  const locked = account.blockedUntil !== null && account.blockedUntil.getTime() > now.getTime();
  if (!locked && now.getTime() - account.updatedAt.getTime() > policy.account.forgetAfterMs) account = fresh(now);
  if (locked) refusals.push({ limit: 'account', retryAfterMs: account.blockedUntil!.getTime() - now.getTime(), first: false });

  const windows = {} as Record<'address' | 'global', LimitCounter>;
  for (const kind of ['address', 'global'] as const) {
    const rule = policy[kind];
    let counter = current[kind] ?? fresh(now);
    if (now.getTime() >= counter.windowStartedAt.getTime() + rule.windowMs) counter = fresh(now);
    windows[kind] = counter;
    if (counter.attempts >= rule.max) {
      const first = counter.attempts === rule.max;
      refusals.push({ limit: kind, retryAfterMs: counter.windowStartedAt.getTime() + rule.windowMs - now.getTime(), first });
      // One past the ceiling marks the window as refused once, so later refusals write no further Activity rows.
      if (first) tripped[kind] = { ...counter, attempts: rule.max + 1, updatedAt: now };
    }
  }
  if (refusals.length > 0) return { ok: false, refusals, next: tripped };

  const failures = account.attempts + 1;
  const rule = policy.account;
  const lockMs = failures >= rule.freeFailures ? Math.min(rule.firstLockMs * 2 ** (failures - rule.freeFailures), rule.maxLockMs) : 0;
  const locksAccountUntil = lockMs > 0 ? new Date(now.getTime() + lockMs) : undefined;
  return {
    ok: true,
    next: {
      account: {
        attempts: failures,
        windowStartedAt: account.attempts === 0 ? now : account.windowStartedAt,
        blockedUntil: locksAccountUntil ?? null,
        updatedAt: now,
      },
      address: { ...windows.address, attempts: windows.address.attempts + 1, updatedAt: now },
      global: { ...windows.global, attempts: windows.global.attempts + 1, updatedAt: now },
    },
    locksAccountUntil,
  };
}

/**
 * The address a limit is kept for: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6 by its /64,
 * since one subscriber commonly holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (!isIPv6(bare)) return ip;
  const [head = '', tail] = bare.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])));
  const before = groupsOf(head);
  const after = tail === undefined ? [] : groupsOf(tail);
  const groups = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

export interface SignInKeys {
  /** The normalised e-mail typed. */
  email: string;
  /** The client's address as the proxy trust settings give it (request.ip). */
  address: string;
}

const storedKeys = (keys: SignInKeys): Record<LimitKind, string> => ({
  account: `account:${keys.email}`,
  address: `address:${addressKey(keys.address)}`,
  global: 'global',
});

export type SignInClaim =
  | { ok: true; keys: Record<LimitKind, string>; windows: Record<'address' | 'global', Date>; locksAccountUntil: Date | undefined }
  | { ok: false; keys: Record<LimitKind, string>; refusals: Refusal[] };

/** Counts one attempt against every limit, or says which limit refuses it (nothing is counted then). */
export async function claimSignInAttempt(db: Kysely<DB>, clock: Clock, keys: SignInKeys, policy: SignInLimitPolicy = SIGN_IN_LIMITS): Promise<SignInClaim> {
  const names = storedKeys(keys);
  const kindOf = new Map(Object.entries(names).map(([kind, key]) => [key, kind as LimitKind]));
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    // Rows are created and then locked in key order, so two claims never wait on each other crosswise.
    const ordered = [...kindOf.keys()].sort();
    await trx
      .insertInto('sign_in_limits')
      .values(ordered.map((key) => ({ key, attempts: 0, window_started_at: now, blocked_until: null, updated_at: now })))
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
    const rows = await trx.selectFrom('sign_in_limits').selectAll().where('key', 'in', ordered).orderBy('key').forUpdate().execute();
    const current: Partial<Record<LimitKind, LimitCounter>> = {};
    for (const row of rows) {
      current[kindOf.get(row.key)!] = {
        attempts: row.attempts,
        windowStartedAt: new Date(row.window_started_at),
        blockedUntil: row.blocked_until === null ? null : new Date(row.blocked_until),
        updatedAt: new Date(row.updated_at),
      };
    }
    const decision = decideAttempt(current, now, policy);
    for (const [kind, counter] of Object.entries(decision.next) as Array<[LimitKind, LimitCounter]>) {
      await trx
        .updateTable('sign_in_limits')
        .set({ attempts: counter.attempts, window_started_at: counter.windowStartedAt, blocked_until: counter.blockedUntil, updated_at: counter.updatedAt })
        .where('key', '=', names[kind])
        .execute();
    }
    if (!decision.ok) return { ok: false, keys: names, refusals: decision.refusals };
    return {
      ok: true,
      keys: names,
      windows: { address: decision.next.address.windowStartedAt, global: decision.next.global.windowStartedAt },
      locksAccountUntil: decision.locksAccountUntil,
    };
  });
}

/** A successful sign-in: the account starts afresh, and the attempt is given back to its address and the global count. */
export async function recordSignInSuccess(db: Kysely<DB>, clock: Clock, claim: Extract<SignInClaim, { ok: true }>): Promise<void> {
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sign_in_limits').where('key', '=', claim.keys.account).execute();
    for (const kind of ['address', 'global'] as const) {
      await trx
        .updateTable('sign_in_limits')
        .set((eb) => ({ attempts: eb('attempts', '-', 1), updated_at: now }))
        .where('key', '=', claim.keys[kind])
        .where('window_started_at', '=', claim.windows[kind])
        .where('attempts', '>', 0)
        .execute();
    }
    // Counters untouched for two days say nothing any more (the longest rule looks back one day).
    await trx
      .deleteFrom('sign_in_limits')
      .where('updated_at', '<', new Date(now.getTime() - 2 * 86_400_000))
      .execute();
  });
}

/** A new password (set by an admin or the CLI) lifts the account's lock. */
export async function clearAccountLimit(db: Kysely<DB>, email: string): Promise<void> {
  await db.deleteFrom('sign_in_limits').where('key', '=', `account:${email}`).execute();
}
