/**
 * `user.changed` on the event bus: a user's role, offices or standing changed. It names no office, so no
 * browser receives it; the live socket (live.ts) of that user closes on it — at once on every instance — so an
 * open dashboard never keeps a feed its user may no longer see.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';

export const USER_CHANGED = 'user.changed';

/** Published on commit of `trx`. `sessionsEnded`: the user was signed out (disabled, new password). */
export async function announceUserChange(deps: Pick<AppContext, 'bus'>, trx: Kysely<DB>, userId: number, sessionsEnded: boolean): Promise<void> {
  await deps.bus.publish({ type: USER_CHANGED, data: { userId, sessionsEnded } }, trx);
}

export function userChange(event: { type: string; data?: Record<string, unknown> }): { userId: number; sessionsEnded: boolean } | undefined {
  if (event.type !== USER_CHANGED || typeof event.data?.userId !== 'number') return undefined;
  return { userId: event.data.userId, sessionsEnded: event.data.sessionsEnded === true };
}
