/**
 * A circuit breaker per provider account (issue 19), its state in the database (`provider_circuits`) so every
 * instance sees the same one. Closed: every send goes to the provider. It opens after 5 transport failures in a
 * row, or when at least half of at least 20 attempts in the current 60-second window failed; while open, sends skip
 * the provider (the chain goes on to the next). 30 seconds after opening, one send (whichever instance claims it
 * first, by a conditional update) probes it: success closes the circuit, failure opens it for another 30 seconds.
 * A probe that never reports back (its worker died) can be claimed again after another 30 seconds.
 *
 * Only failures that mean the provider did not take the request count (`never_accepted`, `config`); a recipient's
 * problem or a lost answer says nothing about the provider's health. Every change between closed and open raises
 * one alert, from the one transaction that made it (the row is locked while it is decided).
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerPolicy {
  consecutiveFailures: number;
  windowMs: number;
  minAttempts: number;
  failureRatio: number;
  probeAfterMs: number;
}

export const BREAKER_POLICY: BreakerPolicy = { consecutiveFailures: 5, windowMs: 60_000, minAttempts: 20, failureRatio: 0.5, probeAfterMs: 30_000 };

export interface CircuitAccount {
  /** `<provider>:<account>`: one breaker per provider account, shared by the offices that use it. */
  key: string;
  channel: 'sms' | 'email';
  provider: string;
}

/** `send`: closed; `probe`: this caller is the one send that tests an open circuit; `skip`: open (until `until`). */
export type CircuitDecision = { kind: 'send' } | { kind: 'probe' } | { kind: 'skip'; until: Date };

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export class ProviderBreakers {
  constructor(
    private readonly context: Pick<AppContext, 'db' | 'alerts' | 'logger'>,
    private readonly policy: BreakerPolicy = BREAKER_POLICY,
  ) {}

  private get db(): Kysely<DB> {
    return this.context.db;
  }

  async decide(account: CircuitAccount, now: Date): Promise<CircuitDecision> {
    const row = await this.db
      .selectFrom('provider_circuits')
      .select(['state', 'opened_at', 'probe_started_at'])
      .where('key', '=', account.key)
      .executeTakeFirst();
    if (!row || row.state === 'closed') return { kind: 'send' };
    const probeAfter = this.policy.probeAfterMs;
    if (row.state === 'open') {
      const due = new Date(new Date(row.opened_at!).getTime() + probeAfter);
      if (now.getTime() < due.getTime()) return { kind: 'skip', until: due };
      const claimed = await this.db
        .updateTable('provider_circuits')
        .set({ state: 'half_open', probe_started_at: now, updated_at: now })
        .where('key', '=', account.key)
        .where('state', '=', 'open')
        .where('opened_at', '=', row.opened_at!)
        .executeTakeFirst();
      return Number(claimed.numUpdatedRows) === 1 ? { kind: 'probe' } : { kind: 'skip', until: new Date(now.getTime() + probeAfter) };
    }
    // half_open: another send is probing; a probe silent for a whole interval is taken over.
    const startedAt = new Date(row.probe_started_at!);
    const stale = new Date(startedAt.getTime() + probeAfter);
    if (now.getTime() < stale.getTime()) return { kind: 'skip', until: stale };
    const claimed = await this.db
      .updateTable('provider_circuits')
      .set({ probe_started_at: now, updated_at: now })
      .where('key', '=', account.key)
      .where('state', '=', 'half_open')
      .where('probe_started_at', '=', row.probe_started_at!)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1 ? { kind: 'probe' } : { kind: 'skip', until: new Date(now.getTime() + probeAfter) };
  }

  /** Records one send's outcome at the provider; returns the new state when it changed. */
  async record(account: CircuitAccount, outcome: 'success' | 'failure', now: Date, clientId: string): Promise<CircuitState | undefined> {
    const policy = this.policy;
    const change = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('provider_circuits')
        .values({
          key: account.key,
          channel: account.channel,
          provider: account.provider,
          state: 'closed',
          consecutive_failures: 0,
          window_started_at: now,
          window_attempts: 0,
          window_failures: 0,
          opened_at: null,
          probe_started_at: null,
          updated_at: now,
        })
        .onConflict((conflict) => conflict.column('key').doNothing())
        .execute();
      const row = await trx.selectFrom('provider_circuits').selectAll().where('key', '=', account.key).forUpdate().executeTakeFirstOrThrow();
      const fresh = now.getTime() - new Date(row.window_started_at).getTime() >= policy.windowMs;
      const windowStartedAt = fresh ? now : row.window_started_at;
      const attempts = (fresh ? 0 : row.window_attempts) + 1;
      const failures = (fresh ? 0 : row.window_failures) + (outcome === 'failure' ? 1 : 0);
      const consecutive = outcome === 'failure' ? row.consecutive_failures + 1 : 0;
      const before = row.state as CircuitState;
      let state: CircuitState = before;
      let openedAt = row.opened_at;
      if (outcome === 'success') {
        state = 'closed';
      } else if (before === 'half_open') {
        state = 'open';
        openedAt = now;
      } else if (
        before === 'closed' &&
        (consecutive >= policy.consecutiveFailures || (attempts >= policy.minAttempts && failures / attempts >= policy.failureRatio))
      ) {
        state = 'open';
        openedAt = now;
      }
      await trx
        .updateTable('provider_circuits')
        .set({
          state,
          consecutive_failures: consecutive,
          window_started_at: state === 'closed' && before !== 'closed' ? now : windowStartedAt,
          window_attempts: state === 'closed' && before !== 'closed' ? 0 : attempts,
          window_failures: state === 'closed' && before !== 'closed' ? 0 : failures,
          opened_at: state === 'closed' ? null : openedAt,
          probe_started_at: state === 'half_open' ? row.probe_started_at : null,
          updated_at: now,
        })
        .where('key', '=', account.key)
        .execute();
      // Closed ⇄ open is what a person needs to hear about; a failed probe (half-open → open) stays open.
      const opened = before === 'closed' && state === 'open';
      const closed = before !== 'closed' && state === 'closed';
      return opened || closed ? { state, attempts, failures, consecutive } : undefined;
    });
    if (!change) return undefined;
    const name = providerName(account.provider);
    const what = account.channel === 'sms' ? 'texts' : 'e-mails';
    await this.context.alerts.raise({
      clientId,
      source: `messaging.${account.channel}`,
      fingerprint: `provider-circuit:${account.key}:${change.state}:${now.toISOString()}`,
      severity: change.state === 'open' ? 'error' : 'warning',
      message:
        change.state === 'open'
          ? `${name} is failing (${change.consecutive} failures in a row; ${change.failures} of ${change.attempts} in the last minute): ${what} go to the next provider in the chain; ${name} is tried again in ${Math.round(policy.probeAfterMs / 1000)} s.`
          : `${name} answers again: ${what} are sent through it again.`,
      details: { provider: account.provider, account: account.key, state: change.state },
    });
    return change.state;
  }

  async states(): Promise<Array<{ key: string; channel: string; provider: string; state: CircuitState; openedAt: Date | null; updatedAt: Date }>> {
    const rows = await this.db
      .selectFrom('provider_circuits')
      .select(['key', 'channel', 'provider', 'state', 'opened_at', 'updated_at'])
      .orderBy('key')
      .execute();
    return rows.map((row) => ({
      key: row.key,
      channel: row.channel,
      provider: row.provider,
      state: row.state as CircuitState,
      openedAt: row.opened_at,
      updatedAt: row.updated_at,
    }));
  }
}

export function providerName(provider: string): string {
  return ({ twilio: 'Twilio', telnyx: 'Telnyx', smtp: 'The SMTP server', sendgrid: 'SendGrid' } as Record<string, string>)[provider] ?? provider;
}
