/**
 * An office's SMS and e-mail providers, in the order its chain lists them (`providers.sms` / `providers.email`,
 * issue 19): each provider's route comes from the vendor module that registered it on `context.smsProviders` /
 * `context.emailProviders` (src/twilio, src/telnyx, src/smtp, src/sendgrid). Without a chain it is the default
 * provider alone, and `explicit` is false (no breaker, no failover). A provider the office lists but no module
 * installed is a permanent error for the message (the registry says which are available).
 */
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
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
