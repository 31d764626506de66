/**
 * E-mail over SMTP with a pooled nodemailer transport. Failures become VendorError per
 * reference/messaging.md §2: network trouble and 4xx replies retry, 5xx replies (no mailbox, rejected) are
 * permanent, authentication failures retry but are flagged (code `auth`) so the caller can alert. A connection lost
 * after the whole message went to the server, before its reply, is `ambiguous`: the server may have accepted it, and
 * SMTP has no way to ask.
 */
import { randomUUID } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
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
  /** Left part of the Message-ID; random when omitted. */
  reference?: string;
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
  // Whether each message in flight was handed over whole: only then can the server have accepted it (it accepts at
  // the final "." after the data). Watched on the message stream itself, whichever pooled connection sends it.
  const handedOver = new Map<string, boolean>();
  transport.use('stream', (mail, done) => {
    const messageId = String(mail.data.messageId);
    if (handedOver.has(messageId)) {
      mail.message.processFunc((input: Readable) => {
        const watch = new Transform({
          transform: (chunk, _encoding, callback) => callback(null, chunk),
          flush: (callback) => {
            handedOver.set(messageId, true);
            callback();
          },
        });
        return pipeline(input, watch, () => undefined);
      });
    }
    done();
  });
  return {
    async send(input) {
      const messageId = messageIdFor(input.from, input.reference);
      handedOver.set(messageId, false);
      try {
        const info = await transport.sendMail({
          messageId,
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
        throw classifySmtpError(error, { dataSent: handedOver.get(messageId) === true, messageId });
      } finally {
        handedOver.delete(messageId);
      }
    },
    close() {
      transport.close();
    },
  };
}

export interface MailerPool {
  /** The mailer for this SMTP URL, made on first use (each holds its own pooled connections). */
  mailerFor(smtpUrl: string): Mailer;
  close(): void;
}

/** One mailer per SMTP URL, kept for the life of whoever holds the pool (an outbox handler), closed together. */
export function createMailerPool(options: MailerOptions = {}): MailerPool {
  const mailers = new Map<string, Mailer>();
  return {
    mailerFor(smtpUrl) {
      let mailer = mailers.get(smtpUrl);
      if (!mailer) {
        mailer = createMailer(smtpUrl, options);
        mailers.set(smtpUrl, mailer);
      }
      return mailer;
    },
    close() {
      for (const mailer of mailers.values()) mailer.close();
      mailers.clear();
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
 * own from five CSPRNG calls and a second parse of every address, and because a caller's `reference` makes it the
 * same for the same message. `switchboard.invalid` stands in when the sender has no plain domain.
 */
function messageIdFor(from: string, reference: string | undefined): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  const right = address.includes('@') && /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'switchboard.invalid';
  const left = reference && /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(reference) ? reference : randomUUID();
  return `<${left}@${right}>`;
}

const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

/**
 * `sent.dataSent`: the whole message had been handed to the server when the error came. Without a reply that makes
 * the outcome ambiguous (the server may have queued it); with none or only part of it sent, nothing can have been accepted.
 */
export function classifySmtpError(error: unknown, sent: { dataSent: boolean; messageId?: string } = { dataSent: false }): VendorError {
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
    return new VendorError({
      vendor: 'smtp',
      code: 'auth',
      retryable: true,
      failure: 'config',
      response,
      message: `The mail server refused our login (${reply}); check SMTP_URL. Will retry.`,
      cause: error,
    });
  }
  if (responseCode !== undefined && responseCode >= 500 && responseCode !== 503) {
    // A refused recipient (RCPT TO, or a 55x mailbox reply) is the recipient's problem; anything else the message's.
    const recipient = code === 'EENVELOPE' || responseCode === 550 || responseCode === 551 || responseCode === 553;
    return new VendorError({
      vendor: 'smtp',
      code: String(responseCode),
      retryable: false,
      failure: recipient ? 'recipient_invalid' : 'rejected',
      response,
      message: `Not sent: the mail server refused it permanently (${reply}).`,
      cause: error,
    });
  }
  if (responseCode === undefined && sent.dataSent && code !== 'ECONFIG' && code !== 'EMESSAGE') {
    return new VendorError({
      vendor: 'smtp',
      code,
      retryable: true,
      ambiguous: true,
      response,
      message: `The connection to the mail server was lost after it had the whole e-mail${sent.messageId ? ` (Message-ID ${sent.messageId})` : ''}, before it confirmed: it may have been accepted (${reply}).`,
      cause: error,
    });
  }
  if (responseCode !== undefined || NETWORK_CODES.has(code)) {
    return new VendorError({
      vendor: 'smtp',
      code: String(responseCode ?? code),
      retryable: true,
      response,
      message: `The mail server is unavailable or asked us to try later (${reply}); will retry.`,
      cause: error,
    });
  }
  return new VendorError({
    vendor: 'smtp',
    code,
    retryable: code !== 'ECONFIG' && code !== 'EMESSAGE',
    response,
    message: `Sending the e-mail failed (${code}): ${reply}`,
    cause: error,
  });
}
