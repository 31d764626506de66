/**
 * Texts through Telnyx (the second SMS provider of a chain, issue 19) with the official `telnyx` SDK: `POST /messages`
 * with `maxRetries: 0` (the SDK would otherwise repeat a POST on 5xx/429/timeouts and could send twice), and
 * `GET /messages/{id}` to look one up. Telnyx has no list of sent messages to search, so a send whose answer was lost
 * is reconciled from the id its own `message.sent` webhook brought us (messaging/reconcile-sms.ts), confirmed here.
 * Failures become VendorError with a vendor-neutral `failure` (reference/sms-email-providers.md §1 and §5); Telnyx
 * codes stay in this file. The SDK is loaded when the first Telnyx client is made, so a server whose offices text only
 * through Twilio never loads it.
 */
import { VendorError, type FailureClass } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { connectionFailure, sdkNotLoaded } from '../connection-failure.js';
import type { SmsPort, SmsSendRequest, SmsSendResult } from '../../messaging/ports.js';

export interface TelnyxSmsOptions {
  apiKey: string;
  /** The emulator in demo mode (`http://127.0.0.1:PORT/v2`); Telnyx's own API otherwise. */
  baseURL?: string;
  messagingProfileId?: string;
  timeoutMs?: number;
}

/** The loaded SDK, once a client has asked for it: classifyTelnyxError reads its error classes from here. */
const loadSdk = lazy(() => import('telnyx'));

/** Telnyx messaging codes and what they mean to the domain. */
const CODES: Record<string, { failure: FailureClass; words: string }> = {
  '40300': { failure: 'recipient_opted_out', words: 'the recipient replied STOP to this number (Telnyx block rule)' },
  '40001': { failure: 'recipient_invalid', words: 'the number cannot receive texts (probably a landline)' },
  '40012': { failure: 'recipient_invalid', words: 'the destination number is not valid' },
  '40310': { failure: 'recipient_invalid', words: 'the destination number is not valid' },
  '40008': { failure: 'recipient_invalid', words: 'the text could not be delivered' },
  '10016': { failure: 'recipient_invalid', words: 'the number is not in E.164 format' },
  '40010': { failure: 'config', words: 'the sending number is not on a registered 10DLC campaign' },
  '40100': { failure: 'config', words: 'the sending number is not enabled for messaging' },
  '40305': { failure: 'config', words: 'the sending number is not on a messaging profile of this account' },
  '40312': { failure: 'config', words: 'the messaging profile is disabled' },
  '40313': { failure: 'config', words: 'messaging is disabled for this account' },
  '40314': { failure: 'config', words: 'messaging is disabled for this account' },
};

/** Telnyx's per-recipient statuses in the words the rest of messaging uses (messaging/deliveries.ts ranks them). */
export function neutralTelnyxStatus(status: string | undefined): string {
  switch (status) {
    case 'sending_failed':
      return 'failed';
    case 'delivery_failed':
      return 'undelivered';
    case 'delivery_unconfirmed':
      return 'sent';
    case undefined:
      return 'queued';
    default:
      return status;
  }
}

export interface TelnyxSms extends SmsPort {
  lookup(providerId: string): Promise<SmsSendResult | undefined>;
}

export function createTelnyxSms(options: TelnyxSmsOptions): TelnyxSms {
  const clientOf = lazy(() =>
    loadSdk().then(
      ({ default: Telnyx }) => new Telnyx({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 15_000 }),
    ),
  );
  // Loaded ahead of the first send; a failed load surfaces there (and is tried again), not as an unhandled rejection.
  clientOf().catch(() => undefined);
  const client = () => clientOf().catch((error: unknown) => Promise.reject(sdkNotLoaded({ vendor: 'telnyx', name: 'Telnyx', cause: error })));
  return {
    async send(request: SmsSendRequest): Promise<SmsSendResult> {
      if (!request.from)
        throw new VendorError({
          vendor: 'telnyx',
          code: 'no_from',
          retryable: false,
          failure: 'config',
          message: 'The Telnyx provider of this office has no sending number.',
        });
      const sdk = await client();
      try {
        const response = await sdk.messages.send(
          {
            from: request.from,
            to: request.to,
            text: request.body,
            ...(options.messagingProfileId ? { messaging_profile_id: options.messagingProfileId } : {}),
            ...(request.statusCallback ? { webhook_url: request.statusCallback } : {}),
          },
          { maxRetries: 0 },
        );
        const data = response.data;
        if (!data?.id) {
          throw new VendorError({
            vendor: 'telnyx',
            code: 'no_id',
            retryable: true,
            ambiguous: true,
            message: 'Telnyx answered without a message id; it may have the text.',
          });
        }
        return {
          providerId: data.id,
          status: neutralTelnyxStatus(data.to?.[0]?.status),
          segments: typeof data.parts === 'number' && data.parts > 0 ? data.parts : null,
        };
      } catch (error) {
        throw classifyTelnyxError(error);
      }
    },

    async lookup(providerId: string): Promise<SmsSendResult | undefined> {
      const sdk = await client();
      try {
        const response = await sdk.messages.retrieve(providerId, { maxRetries: 1 });
        const data = response.data as { id?: string; to?: Array<{ status?: string }>; parts?: number } | undefined;
        if (!data?.id) return undefined;
        return {
          providerId: data.id,
          status: neutralTelnyxStatus(data.to?.[0]?.status),
          segments: typeof data.parts === 'number' && data.parts > 0 ? data.parts : null,
        };
      } catch (error) {
        if (loadSdk.value && error instanceof loadSdk.value.APIError && error.status === 404) return undefined;
        throw classifyTelnyxError(error);
      }
    },
  };
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyTelnyxError(error: unknown): VendorError {
  if (error instanceof VendorError) return error;
  // An SDK error exists only once the SDK has loaded; before that, nothing is one of its classes.
  const sdk = loadSdk.value;
  if (sdk && error instanceof sdk.APIConnectionTimeoutError) {
    return new VendorError({
      vendor: 'telnyx',
      code: 'ETIMEDOUT',
      retryable: true,
      ambiguous: true,
      message: 'Telnyx did not answer in time; it may have the text.',
      cause: error,
    });
  }
  if (sdk && error instanceof sdk.APIConnectionError) {
    const code = causeCode(error.cause) ?? 'network';
    return connectionFailure({ vendor: 'telnyx', name: 'Telnyx', code, detail: code, what: 'the text', cause: error });
  }
  if (sdk && error instanceof sdk.APIError && typeof error.status === 'number') {
    const status = error.status;
    const first = ((error.error as { errors?: Array<{ code?: unknown; title?: unknown; detail?: unknown }> } | undefined)?.errors ?? [])[0];
    const code = first?.code === undefined ? String(status) : String(first.code);
    const title = typeof first?.title === 'string' ? first.title : `HTTP ${status}`;
    const response = { status, code, title };
    const known = CODES[code];
    if (known) {
      return new VendorError({
        vendor: 'telnyx',
        code,
        status,
        response,
        retryable: false,
        failure: known.failure,
        message: `Not sent: ${known.words} (Telnyx ${code}).`,
        cause: error,
      });
    }
    if (status === 401 || status === 403 || code === '10009' || code === '10010') {
      return new VendorError({
        vendor: 'telnyx',
        code,
        status,
        response,
        retryable: true,
        failure: 'config',
        message: `Telnyx refused our API key (${code}: ${title}); check it. Will retry.`,
        cause: error,
      });
    }
    if (status === 429 || status >= 500 || code === '10011' || code === '10007' || code === '40011' || code === '40318') {
      return new VendorError({
        vendor: 'telnyx',
        code,
        status,
        response,
        retryable: true,
        failure: 'never_accepted',
        message: `Telnyx is busy or failing (HTTP ${status}, ${code}); will retry.`,
        cause: error,
      });
    }
    return new VendorError({
      vendor: 'telnyx',
      code,
      status,
      response,
      retryable: false,
      failure: 'rejected',
      message: `Telnyx refused the text (HTTP ${status}, ${code}: ${title}).`,
      cause: error,
    });
  }
  return new VendorError({
    vendor: 'telnyx',
    code: 'unknown',
    retryable: true,
    ambiguous: true,
    message: `Sending through Telnyx failed unexpectedly: ${String(error)}`,
    cause: error,
  });
}
