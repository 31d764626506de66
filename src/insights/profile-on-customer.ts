/**
 * The caller profile's wordings live twice: in `caller_profiles` (with who edited it and when it was cleared) and on
 * the customer's row, where `caller_memory` reads them while the phone rings without a join (migration 0030). Every
 * write to `caller_profiles` calls both functions here in its own transaction, so the agent never hears a profile
 * that staff changed or cleared.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { CallerProfileRow } from '../db/tables/insights.js';

export type ProfileWording = Pick<CallerProfileRow, 'intent_last' | 'needs' | 'language' | 'open_issue' | 'guidance'>;

/**
 * Locks the customer's row before their profile's. The worker's call_analyzed transaction updates the customer (the
 * caller memory) before it rebuilds the profile, so a staff edit taking the profile first and the customer second
 * could deadlock with it on PostgreSQL; everyone takes the customer first.
 */
export async function lockCustomerForProfile(db: Kysely<DB>, customerId: number): Promise<void> {
  await db.selectFrom('customers').select('id').where('id', '=', customerId).forUpdate().executeTakeFirst();
}

/** Sets the customer row's copy of the profile (null: the caller has no profile). */
export async function copyProfileToCustomer(db: Kysely<DB>, customerId: number, profile: ProfileWording | null): Promise<void> {
  await db
    .updateTable('customers')
    .set({
      profile_intent_last: profile?.intent_last ?? null,
      profile_needs: profile?.needs ?? null,
      profile_language: profile?.language ?? null,
      profile_open_issue: profile?.open_issue ?? null,
      profile_guidance: profile?.guidance ?? null,
    })
    .where('id', '=', customerId)
    .execute();
}
