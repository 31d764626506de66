/**
 * Sends texts through the official twilio package and turns its failures into VendorError with a decision:
 * permanent codes (bad number, unsubscribed, landline, unreachable, sender/region config) go dead at once,
 * rate limits, 5xx and a connection that was never made are retried; a request that went out and got no answer is
 * `ambiguous` (Twilio may have the text: creating a message has no idempotency key). `findSent` lists the account's
 * messages to find such a text (reference/twilio-numbers.md §3). In demo/tests `httpClient` points the SDK at the
 * emulator.
 */
import twilio from 'twilio';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message.js';
import { VendorError, type FailureClass } from '../../core/errors.js';
import type { SmsPort, SmsSendRequest, SmsSendResult, SmsSentMessage } from '../../messaging/ports.js';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  httpClient?: twilio.RequestClient;
  timeoutMs?: number;
}

/** Codes a retry cannot fix, with the reason in words for the person reading the dead-letter queue. */
const PERMANENT: Record<number, string> = {
  21211: 'the phone number is not valid',
  21408: 'texting to this region is not enabled on the Twilio account',
  21602: 'the message body is empty',
  21606: 'the sending number is not an SMS-capable number owned by this Twilio account',
  21610: 'the recipient has replied STOP to this number (unsubscribed)',
  21612: 'the number is not reachable by text from this sender',
  21614: 'the number is not a mobile number (probably a landline)',
  21617: 'the message is longer than 1,600 characters',
  21659: 'the sending number is not a valid sender for this account',
};

/** The vendor-neutral meaning of Twilio's permanent codes (reference: sms-email-providers.md §5). */
const PERMANENT_FAILURE: Record<number, FailureClass> = {
  21211: 'recipient_invalid',
  21612: 'recipient_invalid',
  21614: 'recipient_invalid',
  21610: 'recipient_opted_out',
  21408: 'config',
  21606: 'config',
  21659: 'config',
};

/** Network failures that happen before a connection exists: Twilio cannot have received the request. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** More sent texts than this to one number from one sender since the day of the attempt: the lookup gives up. */
const FIND_LIMIT = 1000;

export function createTwilioSms(options: TwilioSmsOptions): SmsPort {
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: options.httpClient,
    timeout: options.timeoutMs ?? 15_000,
  });
  return {
    async send(request: SmsSendRequest): Promise<SmsSendResult> {
      try {
        const message = await client.messages.create({
          to: request.to,
          body: request.body,
          ...(request.from ? { from: request.from } : {}),
          ...(request.messagingServiceSid ? { messagingServiceSid: request.messagingServiceSid } : {}),
          ...(request.statusCallback ? { statusCallback: request.statusCallback } : {}),
        });
        return toResult(message);
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },

    async findSent(request: SmsSendRequest, since: Date): Promise<SmsSentMessage[]> {
      // No body or service filter exists: list by recipient (and the fixed sender), match the rest here.
      const filters = { to: request.to, ...(request.from ? { from: request.from } : {}) };
      const matches = (message: MessageInstance) =>
        message.direction === 'outbound-api' &&
        message.body === request.body &&
        (!request.messagingServiceSid || message.messagingServiceSid === request.messagingServiceSid) &&
        message.dateCreated.getTime() >= since.getTime();
      try {
        // Twilio reads DateSent>= as a UTC day, so this is everything sent since that day began…
        const sent = await client.messages.list({ ...filters, dateSentAfter: since, pageSize: 200, limit: FIND_LIMIT });
        if (sent.length >= FIND_LIMIT) {
          throw new VendorError({
            vendor: 'twilio',
            code: 'too_many',
            retryable: false,
            message: `More than ${FIND_LIMIT} texts to this number today; cannot tell which is ours.`,
          });
        }
        let found = sent.filter(matches);
        if (found.length === 0) {
          // …but a text still queued or accepted has no date_sent and no DateSent filter finds it: the newest page.
          found = (await client.messages.list({ ...filters, pageSize: 50, limit: 50 })).filter(matches);
        }
        return found
          .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
          .map((message) => ({ ...toResult(message), createdAt: message.dateCreated }));
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
  };
}

function toResult(message: MessageInstance): SmsSendResult {
  const segments = Number(message.numSegments);
  return { providerId: message.sid, status: message.status, segments: Number.isFinite(segments) && segments > 0 ? segments : null };
}

export function classifyTwilioError(error: unknown): VendorError {
  if (error instanceof VendorError) return error;
  const details = error as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
  const status = typeof details.status === 'number' ? details.status : undefined;
  const code = typeof details.code === 'number' ? details.code : undefined;
  const text = typeof details.message === 'string' ? details.message : String(error);
  if (status === undefined) {
    const networkCode = typeof details.code === 'string' ? details.code : 'network';
    if (NOT_CONNECTED.has(networkCode)) {
      return new VendorError({ vendor: 'twilio', code: networkCode, message: `Could not reach Twilio: ${text}`, retryable: true, cause: error });
    }
    // Reset or timed out once connected: the request may have been read and acted on, only the answer is missing.
    return new VendorError({
      vendor: 'twilio',
      code: networkCode,
      message: `Twilio's answer was lost (${text}); it may have the text.`,
      retryable: true,
      ambiguous: true,
      cause: error,
    });
  }
  const response = { status, code: code ?? null, message: text };
  if (code !== undefined && PERMANENT[code]) {
    return new VendorError({
      vendor: 'twilio',
      code: String(code),
      status,
      response,
      retryable: false,
      failure: PERMANENT_FAILURE[code] ?? 'rejected',
      message: `Not sent: ${PERMANENT[code]} (Twilio ${code}).`,
      cause: error,
    });
  }
  if (code === 20003 || status === 401) {
    return new VendorError({
      vendor: 'twilio',
      code: '20003',
      status,
      response,
      retryable: true,
      failure: 'config',
      message: 'Twilio refused our credentials (20003); check the Account SID and Auth Token. Will retry.',
      cause: error,
    });
  }
  if (code === 20429 || status === 429 || status >= 500) {
    return new VendorError({
      vendor: 'twilio',
      code: String(code ?? status),
      status,
      response,
      retryable: true,
      message: `Twilio is busy or failing (HTTP ${status}${code ? `, ${code}` : ''}); will retry.`,
      cause: error,
    });
  }
  return new VendorError({
    vendor: 'twilio',
    code: String(code ?? status),
    status,
    response,
    retryable: false,
    failure: status === 403 ? 'config' : 'rejected',
    message: `Twilio refused the message (HTTP ${status}${code ? `, ${code}` : ''}): ${text}`,
    cause: error,
  });
}
