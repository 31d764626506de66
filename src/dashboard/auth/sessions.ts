/**
 * Login sessions. The browser holds a random token in an HttpOnly cookie; the database holds only its
 * SHA-256, so a leaked table cannot be replayed. Sessions slide: each use extends an idle timeout, capped
 * by an absolute lifetime.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DB } from '../../db/schema.js';

export const SESSION_COOKIE = 'sb_session';
export const IDLE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
export const ABSOLUTE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** Write the new expiry at most this often, so every API call is not also a database write. */
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function createSession(db: Kysely<DB>, clock: Clock, userId: number): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + IDLE_TIMEOUT_MS);
  await db
    .insertInto('sessions')
    .values({ token_hash: hashToken(token), user_id: userId, created_at: now, last_seen_at: now, expires_at: expiresAt })
    .execute();
  // Housekeeping on login rather than a timer: expired rows of anyone are removed.
  await db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  return { token, expiresAt };
}

/** The session's user id, or undefined when the token is unknown or expired. Extends the idle timeout. */
export async function resumeSession(db: Kysely<DB>, clock: Clock, token: string): Promise<number | undefined> {
  const tokenHash = hashToken(token);
  const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  const now = clock.now();
  if (!row) return undefined;
  if (row.expires_at.getTime() <= now.getTime()) {
    await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    return undefined;
  }
  if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    const cap = row.created_at.getTime() + ABSOLUTE_LIFETIME_MS;
    const expiresAt = new Date(Math.min(now.getTime() + IDLE_TIMEOUT_MS, cap));
    await db.updateTable('sessions').set({ last_seen_at: now, expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
  }
  return row.user_id;
}

export async function endSession(db: Kysely<DB>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}
