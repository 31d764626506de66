/**
 * The office's Twilio account as onboarding sees it, through the official twilio package: are the credentials
 * right, which numbers does the account own, and point a number's inbound texts at us. Configuring is idempotent:
 * it reads the number first and writes only what differs, so a re-run changes nothing. In demo/tests `httpClient`
 * points the SDK at the emulator (sandbox/twilio-account.ts), as in sms.ts.
 */
import twilio from 'twilio';
import { VendorError } from '../../core/errors.js';

export interface TwilioNumbersOptions {
  accountSid: string;
  authToken: string;
  httpClient?: twilio.RequestClient;
  timeoutMs?: number;
}

export interface TwilioNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  capabilities: { sms: boolean; mms: boolean; voice: boolean };
  /** Null when unset (Twilio answers '' or null). */
  smsUrl: string | null;
  smsMethod: string;
  statusCallback: string | null;
  statusCallbackMethod: string;
  /** When set, the application's SMS URL is used instead of `smsUrl`. */
  smsApplicationSid: string | null;
}

export type TwilioCredentialCheck =
  | { ok: true; account: { sid: string; friendlyName: string; type: string } }
  | { ok: false; reason: 'invalid_credentials' | 'account_not_active'; message: string };

export interface NumberConfiguration {
  /** Where Twilio posts texts that arrive at the number. */
  smsUrl: string;
  /**
   * The number's own StatusCallback. Twilio uses it for the number's call status changes; delivery reports of our
   * texts come from the per-message StatusCallback that sms.ts sets, so this is optional.
   */
  statusCallback?: string;
  /** Clear an SMS application that would otherwise win over `smsUrl` (default: report it and change nothing). */
  replaceSmsApplication?: boolean;
}

export type ConfigureNumberResult =
  { ok: true; changed: boolean; number: TwilioNumber } | { ok: false; reason: 'number_not_found' | 'sms_application_overrides'; message: string };

export interface TwilioNumbers {
  validateCredentials(): Promise<TwilioCredentialCheck>;
  /** Every number the account owns (all pages), optionally filtered as Twilio's `PhoneNumber` filter does. */
  listNumbers(filter?: { phoneNumber?: string }): Promise<TwilioNumber[]>;
  configureNumber(sid: string, configuration: NumberConfiguration): Promise<ConfigureNumberResult>;
}

type NumberInstance = Awaited<ReturnType<twilio.Twilio['incomingPhoneNumbers']['list']>>[number];

export function createTwilioNumbers(options: TwilioNumbersOptions): TwilioNumbers {
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: options.httpClient,
    timeout: options.timeoutMs ?? 15_000,
  });

  return {
    async validateCredentials() {
      try {
        const account = await client.api.v2010.accounts(options.accountSid).fetch();
        if (account.status !== 'active') {
          return {
            ok: false,
            reason: 'account_not_active',
            message: `The Twilio account is ${account.status}; texts cannot be sent until it is active again in Twilio's console.`,
          };
        }
        // Only what a person needs to recognise the account: the resource also carries the auth token.
        return { ok: true, account: { sid: account.sid, friendlyName: account.friendlyName, type: account.type } };
      } catch (error) {
        const { status, code } = restDetails(error);
        // A wrong token answers 401; a SID the token does not belong to, or no such account, answers 404.
        if (status === 401 || code === 20003 || status === 404) {
          return {
            ok: false,
            reason: 'invalid_credentials',
            message: 'Twilio did not accept this Account SID and Auth Token; copy both again from the Twilio console.',
          };
        }
        throw classifyNumbersError(error, 'check the credentials');
      }
    },

    async listNumbers(filter = {}) {
      try {
        const numbers = await client.incomingPhoneNumbers.list({
          ...(filter.phoneNumber ? { phoneNumber: filter.phoneNumber } : {}),
          pageSize: 100,
        });
        return numbers.map(toNumber);
      } catch (error) {
        throw classifyNumbersError(error, 'list the phone numbers');
      }
    },

    async configureNumber(sid, configuration) {
      let current: NumberInstance;
      try {
        current = await client.incomingPhoneNumbers(sid).fetch();
      } catch (error) {
        if (restDetails(error).status === 404) {
          return { ok: false, reason: 'number_not_found', message: `The Twilio account has no phone number ${sid}.` };
        }
        throw classifyNumbersError(error, 'read the phone number');
      }
      const number = toNumber(current);
      if (number.smsApplicationSid && !configuration.replaceSmsApplication) {
        return {
          ok: false,
          reason: 'sms_application_overrides',
          message: `Texts to ${number.phoneNumber} go to the Twilio application ${number.smsApplicationSid}, which wins over an SMS URL. Remove it in Twilio's console, or let Switchboard replace it.`,
        };
      }
      const changes: Parameters<ReturnType<typeof client.incomingPhoneNumbers>['update']>[0] = {};
      if (number.smsUrl !== configuration.smsUrl) changes.smsUrl = configuration.smsUrl;
      if (number.smsMethod !== 'POST') changes.smsMethod = 'POST';
      if (number.smsApplicationSid) changes.smsApplicationSid = '';
      if (configuration.statusCallback !== undefined) {
        if (number.statusCallback !== configuration.statusCallback) changes.statusCallback = configuration.statusCallback;
        if (number.statusCallbackMethod !== 'POST') changes.statusCallbackMethod = 'POST';
      }
      if (Object.keys(changes).length === 0) return { ok: true, changed: false, number };
      try {
        return { ok: true, changed: true, number: toNumber(await client.incomingPhoneNumbers(sid).update(changes)) };
      } catch (error) {
        throw classifyNumbersError(error, 'configure the phone number');
      }
    },
  };
}

function toNumber(instance: NumberInstance): TwilioNumber {
  const text = (value: string | null | undefined) => (value ? value : null);
  return {
    sid: instance.sid,
    phoneNumber: instance.phoneNumber,
    friendlyName: instance.friendlyName,
    capabilities: {
      sms: Boolean(instance.capabilities?.sms),
      mms: Boolean(instance.capabilities?.mms),
      voice: Boolean(instance.capabilities?.voice),
    },
    smsUrl: text(instance.smsUrl),
    smsMethod: (instance.smsMethod ?? 'POST').toUpperCase(),
    statusCallback: text(instance.statusCallback),
    statusCallbackMethod: (instance.statusCallbackMethod ?? 'POST').toUpperCase(),
    smsApplicationSid: text(instance.smsApplicationSid),
  };
}

function restDetails(error: unknown): { status?: number; code?: number; message: string } {
  const details = error as { status?: unknown; code?: unknown; message?: unknown };
  return {
    status: typeof details?.status === 'number' ? details.status : undefined,
    code: typeof details?.code === 'number' ? details.code : undefined,
    message: typeof details?.message === 'string' ? details.message : String(error),
  };
}

/** Rate limits, 5xx and network trouble can be retried; anything else needs a person (credentials, a bad URL). */
export function classifyNumbersError(error: unknown, what: string): VendorError {
  if (error instanceof VendorError) return error;
  const { status, code, message } = restDetails(error);
  if (status === undefined) {
    return new VendorError({ vendor: 'twilio', code: 'network', message: `Could not reach Twilio to ${what}: ${message}`, retryable: true, cause: error });
  }
  const label = `HTTP ${status}${code ? `, ${code}` : ''}`;
  if (status === 429 || code === 20429 || status >= 500) {
    return new VendorError({
      vendor: 'twilio',
      code: String(code ?? status),
      status,
      retryable: true,
      message: `Twilio is busy or failing (${label}); try again to ${what}.`,
      cause: error,
    });
  }
  if (status === 401 || code === 20003) {
    return new VendorError({
      vendor: 'twilio',
      code: '20003',
      status,
      retryable: false,
      message: `Twilio refused our credentials (20003) when asked to ${what}; check the Account SID and Auth Token.`,
      cause: error,
    });
  }
  return new VendorError({
    vendor: 'twilio',
    code: String(code ?? status),
    status,
    retryable: false,
    message: `Twilio refused to ${what} (${label}): ${message}`,
    cause: error,
  });
}
