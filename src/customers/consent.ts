/**
 * Who may be texted or e-mailed, per client. Current state in `consents` (one row per channel, address and
 * purpose), every change appended to `consent_history`. An opt-out takes effect at once: pending messages of
 * that channel to that address are cancelled in the same transaction.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';
import type { ConsentChannel, ConsentPurpose, ConsentStatus } from '../db/tables/calls.js';
import { cancelPending } from '../outbox/manage.js';

export type ConsentScope = ConsentPurpose | 'all';
export type ConsentSource = 'sms_keyword' | 'voice' | 'staff' | 'email_link';

export interface ConsentChange {
  clientId: string;
  channel: ConsentChannel;
  /** E.164 phone for sms, lower-cased e-mail for email. */
  address: string;
  purpose: ConsentScope;
  status: ConsentStatus;
  source: ConsentSource;
  actor?: string;
}

export interface ConsentChangeResult {
  /** Purposes whose status actually changed (an already-opted-out address stays as it was). */
  changed: ConsentPurpose[];
  /** Outbox rows cancelled by an opt-out. */
  cancelledOutboxIds: number[];
}

export function normalizeConsentAddress(channel: ConsentChannel, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}

function purposesOf(scope: ConsentScope): ConsentPurpose[] {
  return scope === 'all' ? ['marketing', 'transactional'] : [scope];
}

/** Call inside the caller's transaction when there is one; history and cancellations commit with it. */
export async function setConsent(db: Kysely<DB>, context: Pick<AppContext, 'clock'>, change: ConsentChange): Promise<ConsentChangeResult> {
  const now = context.clock.now();
  const address = normalizeConsentAddress(change.channel, change.address);
  const changed: ConsentPurpose[] = [];
  for (const purpose of purposesOf(change.purpose)) {
    const current = await db
      .selectFrom('consents')
      .select(['status'])
      .where('client_id', '=', change.clientId)
      .where('channel', '=', change.channel)
      .where('address', '=', address)
      .where('purpose', '=', purpose)
      .forUpdate()
      .executeTakeFirst();
    // Nobody has a consent row until they say something; the default is "may receive" (transactional, and
    // marketing to callers who called us), so an opt-in on an unknown address is still recorded.
    if (current?.status === change.status) continue;
    const values = {
      client_id: change.clientId,
      channel: change.channel,
      address,
      purpose,
      status: change.status,
      source: change.source,
      actor: change.actor ?? null,
      changed_at: now,
    };
    await db
      .insertInto('consents')
      .values(values)
      .onConflict((conflict) =>
        conflict.columns(['client_id', 'channel', 'address', 'purpose']).doUpdateSet({
          status: change.status,
          source: change.source,
          actor: change.actor ?? null,
          changed_at: now,
        }),
      )
      .execute();
    await db.insertInto('consent_history').values(values).execute();
    changed.push(purpose);
  }

  let cancelledOutboxIds: number[] = [];
  if (change.status === 'opted_out') {
    // "Stop" on a channel stops everything pending on it for this client: the rules say a STOP stops marketing
    // and reminders at once. A marketing-only opt-out cancels only rows marked as marketing.
    const onlyMarketing = change.purpose === 'marketing';
    cancelledOutboxIds = await cancelPending(
      db,
      context.clock,
      {
        clientId: change.clientId,
        kinds: [change.channel],
        payloadMatch: onlyMarketing ? { to: address, purpose: 'marketing' } : { to: address },
      },
      `Recipient opted out (${change.source})`,
    );
  }
  return { changed, cancelledOutboxIds };
}

/**
 * Whether the address opted out of `purpose` on `channel` for this client. `all` asks whether either
 * purpose is opted out (the conservative reading for "may we contact them at all").
 */
export async function isOptedOut(db: Kysely<DB>, clientId: string, channel: ConsentChannel, address: string, purpose: ConsentScope): Promise<boolean> {
  const row = await db
    .selectFrom('consents')
    .select('id')
    .where('client_id', '=', clientId)
    .where('channel', '=', channel)
    .where('address', '=', normalizeConsentAddress(channel, address))
    .where('purpose', 'in', purposesOf(purpose))
    .where('status', '=', 'opted_out')
    .executeTakeFirst();
  return row !== undefined;
}

/** Every consent change for an address, oldest first (dashboard, audits, disputes). */
export async function consentHistory(db: Kysely<DB>, clientId: string, address: string) {
  const candidates = [address.trim(), address.trim().toLowerCase()];
  return db.selectFrom('consent_history').selectAll().where('client_id', '=', clientId).where('address', 'in', candidates).orderBy('id').execute();
}
