/**
 * E-mail over SMTP with a pooled nodemailer transport. Failures become VendorError per
 * reference/messaging.md §2: network trouble and 4xx replies retry, 5xx replies (no mailbox, rejected) are
 * permanent, authentication failures retry but are flagged (code `auth`) so the caller can alert.
 */
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { VendorError } from '../../core/errors.js';

export interface MailInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  headers?: Record<string, string>;
  list?: Record<string, unknown>;
}

export interface Mailer {
  send(input: MailInput): Promise<{ messageId: string; response: string }>;
  close(): void;
}

export interface MailerOptions {
  /** Pooled connections (default: the URL's `?maxConnections=`, else 5, nodemailer's default). */
  maxConnections?: number;
  /** Connection / greeting / socket timeouts (ms); defaults are shorter than nodemailer's minutes. */
  timeoutMs?: number;
}

export function createMailer(smtpUrl: string, options: MailerOptions = {}): Mailer {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const timeoutMs = options.timeoutMs ?? 20_000;
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    pool: true,
    maxConnections: options.maxConnections ?? connectionsFromUrl(url) ?? 5,
    maxMessages: 100,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
  });
  return {
    async send(input) {
      try {
        const info = await transport.sendMail({
          messageId: messageIdFor(input.from),
          envelope: envelopeFor(input.from, input.to),
          from: input.from,
          to: input.to,
          replyTo: input.replyTo,
          subject: input.subject,
          text: input.text,
          html: input.html,
          headers: input.headers,
          list: input.list as never,
        });
        return { messageId: String(info.messageId), response: String(info.response ?? '') };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}

/** `smtp://…?maxConnections=10`: how many connections this provider allows at once (nodemailer's URL option name). */
function connectionsFromUrl(url: URL): number | undefined {
  const value = Number(url.searchParams.get('maxConnections') ?? Number.NaN);
  return Number.isInteger(value) && value >= 1 && value <= 100 ? value : undefined;
}

const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;
const NAMED_ADDRESS = /^[^<>"@,;:()[\]\\]*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+)>$/;

/**
 * The SMTP envelope nodemailer would derive (MAIL FROM the From address, RCPT TO the recipient), given up front so
 * it does not parse both headers again for every message. Undefined, and nodemailer derives it, for anything but a
 * plain `address` or `Name <address>`.
 */
function envelopeFor(from: string, to: string): { from: string; to: string[] } | undefined {
  const sender = PLAIN_ADDRESS.test(from.trim()) ? from.trim() : NAMED_ADDRESS.exec(from.trim())?.[1];
  const recipient = to.trim();
  if (!sender || !PLAIN_ADDRESS.test(recipient)) return undefined;
  return { from: sender, to: [recipient] };
}

/**
 * A Message-ID of the shape nodemailer gives (`<uuid-like@sender-domain>`), made here because nodemailer makes its
 * own from five CSPRNG calls and a second parse of every address. Undefined (nodemailer decides) when the sender
 * has no plain domain.
 */
function messageIdFor(from: string): string | undefined {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  if (!address.includes('@') || !/^[A-Za-z0-9.-]+$/.test(domain)) return undefined;
  return `<${randomUUID()}@${domain}>`;
}

const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

export function classifySmtpError(error: unknown): VendorError {
  const details = error as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown; rejectedErrors?: unknown };
  const code = typeof details.code === 'string' ? details.code : 'unknown';
  let responseCode = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  // All recipients refused (EENVELOPE): the per-recipient reply carries the code.
  if (responseCode === undefined && Array.isArray(details.rejectedErrors)) {
    const first = details.rejectedErrors[0] as { responseCode?: unknown } | undefined;
    if (typeof first?.responseCode === 'number') responseCode = first.responseCode;
  }
  const reply = typeof details.response === 'string' ? details.response : typeof details.message === 'string' ? details.message : String(error);
  const response = { code, responseCode: responseCode ?? null, reply };
  if (code === 'EAUTH' || code === 'ENOAUTH' || responseCode === 535) {
    return new VendorError({ vendor: 'smtp', code: 'auth', retryable: true, response, message: `The mail server refused our login (${reply}); check SMTP_URL. Will retry.`, cause: error });
  }
  if (responseCode !== undefined && responseCode >= 500 && responseCode !== 503) {
    return new VendorError({ vendor: 'smtp', code: String(responseCode), retryable: false, response, message: `Not sent: the mail server refused it permanently (${reply}).`, cause: error });
  }
  if (responseCode !== undefined || NETWORK_CODES.has(code)) {
    return new VendorError({ vendor: 'smtp', code: String(responseCode ?? code), retryable: true, response, message: `The mail server is unavailable or asked us to try later (${reply}); will retry.`, cause: error });
  }
  return new VendorError({ vendor: 'smtp', code, retryable: code !== 'ECONFIG' && code !== 'EMESSAGE', response, message: `Sending the e-mail failed (${code}): ${reply}`, cause: error });
}
