/**
 * Sends texts through the official twilio package and turns its failures into VendorError with a decision:
 * permanent codes (bad number, unsubscribed, landline, unreachable, sender/region config) go dead at once,
 * rate limits, 5xx and network trouble are retried. In demo/tests `httpClient` points the SDK at the emulator.
 */
import twilio from 'twilio';
import { VendorError } from '../../core/errors.js';
import type { SmsPort, SmsSendRequest, SmsSendResult } from '../../messaging/ports.js';

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
        const segments = Number(message.numSegments);
        return { providerId: message.sid, status: message.status, segments: Number.isFinite(segments) && segments > 0 ? segments : null };
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
  };
}

export function classifyTwilioError(error: unknown): VendorError {
  if (error instanceof VendorError) return error;
  const details = error as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
  const status = typeof details.status === 'number' ? details.status : undefined;
  const code = typeof details.code === 'number' ? details.code : undefined;
  const text = typeof details.message === 'string' ? details.message : String(error);
  if (status === undefined) {
    // No HTTP answer: connection refused, reset, timeout. Twilio may or may not have the message; the outbox
    // retries, which is what Twilio's own guidance recommends for network failures.
    const networkCode = typeof details.code === 'string' ? details.code : 'network';
    return new VendorError({ vendor: 'twilio', code: networkCode, message: `Could not reach Twilio: ${text}`, retryable: true, cause: error });
  }
  const response = { status, code: code ?? null, message: text };
  if (code !== undefined && PERMANENT[code]) {
    return new VendorError({
      vendor: 'twilio',
      code: String(code),
      status,
      response,
      retryable: false,
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
    message: `Twilio refused the message (HTTP ${status}${code ? `, ${code}` : ''}): ${text}`,
    cause: error,
  });
}
