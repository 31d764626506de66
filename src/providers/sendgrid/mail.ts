/**
 * E-mail through SendGrid's v3 Mail Send (the second e-mail provider of a chain, issue 19) with the official
 * `@sendgrid/mail`: one MailService per office (its own client, API key and, in demo mode, the emulator's base URL).
 * 202 + `X-Message-Id` is success; the queue item's reference travels as `custom_args.sb_ref` and comes back on
 * every event (providers/sendgrid/events.ts). Failures become VendorError with a vendor-neutral `failure`
 * (reference/sms-email-providers.md §3 and §5): 429/5xx/no connection never accepted, 401/403 config, a 400 about
 * the address the recipient's, a reset or time-out after the request went out accepted-unknown (SendGrid has no
 * idempotency key). The SDK is loaded when the first SendGrid client is made, so a server whose offices send only
 * through SMTP never loads it.
 */
import type { MailService } from '@sendgrid/mail';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { connectionFailure, sdkNotLoaded } from '../connection-failure.js';
import type { EmailMessage, EmailPort, EmailSendResult } from '../../messaging/ports.js';

export interface SendgridMailOptions {
  apiKey: string;
  /** The emulator in demo mode (`http://127.0.0.1:PORT`); SendGrid's own API otherwise. */
  baseUrl?: string;
  timeoutMs?: number;
}

interface SendgridClient {
  setDefaultRequest(key: string, value: unknown): void;
}

/**
 * `@sendgrid/mail` is CommonJS with `export =`: its types give a dynamic import only `default`, though Node hands out
 * the named `MailService` too (as the static import used).
 */
const loadMailService = lazy(() => import('@sendgrid/mail').then((sdk) => (sdk as unknown as { MailService: typeof MailService }).MailService));

export function createSendgridMail(options: SendgridMailOptions): EmailPort {
  const serviceOf = lazy(() =>
    loadMailService().then((Service) => {
      const service = new Service();
      service.setApiKey(options.apiKey);
      service.setTimeout(options.timeoutMs ?? 20_000);
      if (options.baseUrl) (service as unknown as { client: SendgridClient }).client.setDefaultRequest('baseUrl', `${options.baseUrl.replace(/\/$/, '')}/`);
      return service;
    }),
  );
  // Loaded ahead of the first send; a failed load surfaces there (and is tried again), not as an unhandled rejection.
  serviceOf().catch(() => undefined);
  return {
    async send(message: EmailMessage): Promise<EmailSendResult> {
      const headers: Record<string, string> = { ...(message.headers ?? {}) };
      const unsubscribe = (message.list as { unsubscribe?: Array<{ url?: string }> } | undefined)?.unsubscribe?.[0]?.url;
      if (unsubscribe) headers['List-Unsubscribe'] = `<${unsubscribe}>`;
      const service = await serviceOf().catch((error: unknown) => Promise.reject(sdkNotLoaded({ vendor: 'sendgrid', name: 'SendGrid', cause: error })));
      try {
        const [response] = await service.send({
          to: message.to,
          from: message.from,
          ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          headers,
          ...(message.reference ? { customArgs: { sb_ref: message.reference } } : {}),
        });
        const id = response.headers?.['x-message-id'];
        if (typeof id !== 'string' || id === '') {
          throw new VendorError({
            vendor: 'sendgrid',
            code: 'no_id',
            retryable: true,
            ambiguous: true,
            message: 'SendGrid answered without an X-Message-Id; it may have taken the e-mail.',
          });
        }
        return { messageId: id, response: `${response.statusCode} Accepted` };
      } catch (error) {
        throw classifySendgridError(error);
      }
    },
    close() {},
  };
}

export function classifySendgridError(error: unknown): VendorError {
  if (error instanceof VendorError) return error;
  const details = error as { code?: unknown; response?: { body?: { errors?: Array<{ message?: unknown; field?: unknown }> } }; message?: unknown };
  if (typeof details.code === 'number') {
    const status = details.code;
    const first = details.response?.body?.errors?.[0];
    const words = typeof first?.message === 'string' ? first.message : `HTTP ${status}`;
    const field = typeof first?.field === 'string' ? first.field : undefined;
    const response = { status, message: words, field: field ?? null };
    if (status === 429 || status >= 500) {
      return new VendorError({
        vendor: 'sendgrid',
        code: String(status),
        status,
        response,
        retryable: true,
        failure: 'never_accepted',
        message: `SendGrid is busy or failing (HTTP ${status}); will retry.`,
        cause: error,
      });
    }
    if (status === 401 || status === 403) {
      return new VendorError({
        vendor: 'sendgrid',
        code: String(status),
        status,
        response,
        retryable: true,
        failure: 'config',
        message: `SendGrid refused our setup (HTTP ${status}: ${words}); check the API key and the verified sender. Will retry.`,
        cause: error,
      });
    }
    const aboutRecipient = status === 400 && (/personalizations.*to|email/i.test(field ?? '') || /email address|recipient/i.test(words));
    return new VendorError({
      vendor: 'sendgrid',
      code: String(status),
      status,
      response,
      retryable: false,
      failure: aboutRecipient ? 'recipient_invalid' : 'rejected',
      message: `Not sent: SendGrid refused the e-mail (HTTP ${status}: ${words}).`,
      cause: error,
    });
  }
  const code = typeof details.code === 'string' ? details.code : 'network';
  const text = typeof details.message === 'string' ? details.message : String(error);
  return connectionFailure({ vendor: 'sendgrid', name: 'SendGrid', code, detail: text, what: 'taken the e-mail', cause: error });
}
