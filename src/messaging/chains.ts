/**
 * An office's SMS and e-mail providers, in the order its chain lists them (`providers.sms` / `providers.email`,
 * issue 19): each provider's route comes from the vendor module that registered it on `context.smsProviders` /
 * `context.emailProviders` (src/twilio, src/telnyx, src/smtp, src/sendgrid). Without a chain it is the default
 * provider alone, and `explicit` is false (no breaker, no failover). A provider the office lists but no module
 * installed is a permanent error for the message (the registry says which are available). `sendThroughChain` is
 * the one walk along a chain both channels use: breaker, failover, alerts.
 */
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp, type GaveUp } from '../alerts/gave-up.js';
import { PermanentError, VendorError } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { Reschedule, type HandlerContext, type OutcomeUnknown } from '../outbox/handlers.js';
import type { CircuitAccount, ProviderBreakers } from './circuit-breaker.js';
import { emailAccounts, smsAccounts } from './provider-accounts.js';
import type { EmailLink, ProviderChain, SmsLink } from './ports.js';

/** What the `sms` and `email` handlers ask for each message (tests may hand the handlers their own). */
export interface MessagingVendors {
  smsChainFor(clientId: string): ProviderChain<SmsLink>;
  emailChainFor(clientId: string): ProviderChain<EmailLink>;
}

export function messagingChains(context: Pick<AppContext, 'clients' | 'smsProviders' | 'emailProviders'>): MessagingVendors {
  const runtimeOf = (clientId: string) => {
    const client = context.clients.get(clientId);
    if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
    return client;
  };
  return {
    smsChainFor(clientId) {
      const client = runtimeOf(clientId);
      const accounts = smsAccounts(client);
      const links = accounts.map((account): SmsLink => ({ ...context.smsProviders.portOf(account.provider, clientId), provider: account.provider, account }));
      return { links, explicit: client.config.providers?.sms !== undefined };
    },
    emailChainFor(clientId) {
      const client = runtimeOf(clientId);
      const accounts = emailAccounts(client);
      const links = accounts.map((account): EmailLink => ({
        ...context.emailProviders.portOf(account.provider, clientId),
        provider: account.provider,
        account,
      }));
      return { links, explicit: client.config.providers?.email !== undefined };
    },
  };
}

/** What differs between the channels when a message goes through its chain (send-sms.ts, send-email.ts). */
export interface ChainChannel<L extends ChainLink, R> {
  /** The metrics label (`provider_sends{channel}`). */
  name: 'sms' | 'email';
  send(link: L): Promise<R>;
  /** What a throw that is neither VendorError nor PermanentError stands for (whether the provider may have the message). */
  unexpectedFailure(provider: string, error: unknown): VendorError;
  /** A lost answer (`ambiguous`): the error to throw, after any alert. Never failed over: the provider may have it. */
  lostAnswer(link: L, error: VendorError): Promise<OutcomeUnknown>;
  /** Every other failure, after the breaker has it and before failing over (configuration alerts, opt-outs). */
  afterFailure(link: L, error: VendorError | PermanentError): Promise<void>;
  /** The alert when a retryable failure ends the row's last attempt (configuration failures alerted already). */
  gaveUp: GaveUp;
  /** The reason of the hold when every provider's circuit is open. */
  heldReason: string;
  /** When a held message is tried again if no circuit names a time. */
  heldFallback: Date;
}

type ChainLink = { provider: string; account: CircuitAccount };

/**
 * Sends through the office's providers in order. The next one is tried only when the previous certainly never took
 * the message (`never_accepted`/`config`); a provider whose shared circuit is open is skipped, and which provider each
 * attempt goes to is written first, so a lost answer is looked up there. Without an explicit chain: the one default
 * provider, no breaker. Returns the provider that took it; throws the last failure, or Reschedule when every circuit
 * is open (no attempt spent).
 */
export async function sendThroughChain<L extends ChainLink, R>(
  context: AppContext,
  breakers: ProviderBreakers,
  row: OutboxRow,
  handler: HandlerContext,
  chain: ProviderChain<L>,
  channel: ChainChannel<L, R>,
): Promise<{ result: R; link: L }> {
  let lastError: VendorError | PermanentError | undefined;
  let pausedUntil: Date | undefined;
  for (const [index, link] of chain.links.entries()) {
    const hasNext = index < chain.links.length - 1;
    if (chain.explicit) {
      const decision = await breakers.decide(link.account, handler.clock.now());
      if (decision.kind === 'skip') {
        context.metrics.providerSends.inc({ channel: channel.name, provider: link.provider, outcome: 'skipped_open' });
        pausedUntil = pausedUntil && pausedUntil < decision.until ? pausedUntil : decision.until;
        continue;
      }
      await noteAttempt(context, row.id, link, handler.clock.now());
    }
    let result: R;
    try {
      result = await channel.send(link);
    } catch (error) {
      const vendorError = error instanceof VendorError || error instanceof PermanentError ? error : channel.unexpectedFailure(link.provider, error);
      const failure = vendorError instanceof VendorError ? vendorError.failure : 'rejected';
      context.metrics.providerSends.inc({ channel: channel.name, provider: link.provider, outcome: failure });
      if (vendorError instanceof VendorError && vendorError.ambiguous) throw await channel.lostAnswer(link, vendorError);
      const providerDown = failure === 'never_accepted' || failure === 'config';
      if (chain.explicit && providerDown) await breakers.record(link.account, 'failure', handler.clock.now(), row.client_id);
      await channel.afterFailure(link, vendorError);
      if (providerDown && hasNext) {
        // Never accepted: the next provider may send it now.
        lastError = vendorError;
        continue;
      }
      if (failure !== 'config') await alertIfGivingUp(context, row, handler.attempt, vendorError, channel.gaveUp);
      throw vendorError;
    }
    context.metrics.providerSends.inc({ channel: channel.name, provider: link.provider, outcome: 'accepted' });
    if (chain.explicit)
      await breakers.record(link.account, 'success', handler.clock.now(), row.client_id).catch((error: unknown) => {
        handler.logger.error({ err: error, outboxId: row.id }, 'Could not record a provider success');
      });
    return { result, link };
  }
  if (lastError) {
    await alertIfGivingUp(context, row, handler.attempt, lastError, channel.gaveUp);
    throw lastError;
  }
  throw new Reschedule(pausedUntil ?? channel.heldFallback, channel.heldReason);
}

/** Written before the request, so a lost answer is reconciled where it went. */
async function noteAttempt(context: AppContext, outboxId: number, link: ChainLink, at: Date): Promise<void> {
  await context.db
    .insertInto('message_provider_attempts')
    .values({ outbox_id: outboxId, provider: link.provider, provider_key: link.account.key, started_at: at })
    .execute();
}
