/**
 * A local SMTP server (smtp-server) that accepts mail the way a real provider's submission port does, parses every
 * message with mailparser, and can be scripted to refuse or defer recipients and DATA, or to answer slowly
 * (reference/messaging.md §2 "Local receiver").
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { systemClock, type Clock } from '../core/clock.js';
import { Emulator, waitForArrival } from './emulator.js';

export interface ReceivedEmail {
  receivedAt: Date;
  /** The SMTP envelope: MAIL FROM and the RCPT TO addresses the server accepted. */
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** Address in the From header (the envelope sender when the header is missing). */
  from: string | null;
  /** Who the message was delivered to: the accepted envelope recipients (Bcc included), lower-cased. */
  to: string[];
  /** Addresses in the To and Cc headers. */
  headerTo: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  /** Header names lower-cased, values unfolded; a repeated header's values are joined with ", ". */
  headers: Record<string, string>;
  listUnsubscribe: string | null;
  listUnsubscribePost: string | null;
  messageId: string | null;
  /** What the server told the client: `queued as <queueId>`. */
  queueId: string;
  /** User name given in AUTH, if any. */
  authUser: string | null;
  raw: string;
}

/** A refusal the receiver answered (scripted or automatic), for assertions on what the client was told. */
export interface SmtpRefusal {
  at: Date;
  stage: 'connect' | 'rcpt' | 'data' | 'auth';
  address: string | null;
  code: number;
  message: string;
}

export interface SmtpReceiverOptions {
  /** Addresses refused permanently with 550 from the start. */
  rejectRecipients?: string[];
  /** When set, AUTH is required and must match (535 otherwise); by default AUTH is optional and anything passes. */
  credentials?: { user: string; pass: string };
  /** Maximum message size in bytes (552 above it, announced in EHLO). */
  size?: number;
  clock?: Clock;
  port?: number;
  /** How long close() lets open client connections finish before cutting them (default 500 ms). */
  closeTimeoutMs?: number;
  /**
   * Also serve a read-only HTTP inbox (`GET /__sandbox/smtp/messages`) so another process (an end-to-end test
   * driving a `switchboard start` child) can see what arrived. Off by default.
   */
  httpInbox?: boolean;
}

interface ScriptedReply {
  code: number;
  message: string;
  /** Remaining uses; undefined = until cleared. */
  remaining: number | undefined;
}

export class SmtpReceiver {
  readonly messages: ReceivedEmail[] = [];
  readonly refusals: SmtpRefusal[] = [];
  private readonly server: SMTPServer;
  private readonly clock: Clock;
  private readonly recipientReplies = new Map<string, ScriptedReply>();
  private dataReplies: ScriptedReply[] = [];
  /** Messages still to be taken and then answered with a dropped connection. */
  private dropsAfterData = 0;
  /** Open client sockets by remote port (every client is on loopback). */
  private readonly sockets = new Map<number, Socket>();
  private latencyMs = 0;
  private outage: { code: number; message: string } | undefined;
  private listeners = new Set<(message: ReceivedEmail) => void>();
  private boundPort = 0;
  private inbox: Emulator | undefined;

  private constructor(options: SmtpReceiverOptions) {
    this.clock = options.clock ?? systemClock;
    for (const address of options.rejectRecipients ?? []) this.rejectRecipient(address);
    const credentials = options.credentials;
    this.server = new SMTPServer({
      secure: false,
      authOptional: !credentials,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      size: options.size,
      logger: false,
      disableReverseLookup: true,
      banner: 'Switchboard sandbox ESMTP',
      closeTimeout: options.closeTimeoutMs ?? 500,
      onConnect: (_session, callback) => {
        if (this.outage) {
          this.refuse('connect', null, this.outage.code, this.outage.message);
          return callback(smtpError(this.outage.code, this.outage.message));
        }
        // A slow greeting: smtp-server sends the 220 banner only after this callback.
        void this.wait().then(() => callback());
      },
      onAuth: (auth, _session, callback) => {
        if (credentials && (auth.username !== credentials.user || auth.password !== credentials.pass)) {
          this.refuse('auth', auth.username ?? null, 535, '5.7.8 Error: authentication failed');
          return callback(smtpError(535, '5.7.8 Error: authentication failed'));
        }
        return callback(null, { user: auth.username ?? 'anonymous' });
      },
      onRcptTo: (address, _session, callback) => callback(this.checkRecipient(address) ?? undefined),
      onData: (stream, session, callback) => {
        void this.receive(stream, session).then(
          (result) => (result instanceof Error ? callback(result) : callback(null, result)),
          (error: unknown) => callback(smtpError(451, `4.3.0 Error: ${error instanceof Error ? error.message : String(error)}`)),
        );
      },
    });
  }

  static async start(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
    const receiver = new SmtpReceiver(options);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(options.port ?? 0, '127.0.0.1', () => {
        receiver.server.off('error', reject);
        resolve();
      });
    });
    receiver.boundPort = (receiver.server.server.address() as AddressInfo).port;
    receiver.server.server.on('connection', (socket: Socket) => {
      const port = socket.remotePort;
      if (port === undefined) return;
      receiver.sockets.set(port, socket);
      socket.once('close', () => receiver.sockets.delete(port));
    });
    // Connection-level errors (a client hanging up mid-session) must not crash the test process.
    receiver.server.on('error', () => undefined);
    if (options.httpInbox) {
      receiver.inbox = await Emulator.start({
        name: 'smtp-inbox',
        routes: (app) => {
          app.get('/__sandbox/smtp/messages', async () => ({
            messages: receiver.messages.map(({ raw: _raw, ...message }) => message),
            refusals: receiver.refusals,
          }));
        },
      });
    }
    return receiver;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return this.boundPort;
  }

  /** e.g. smtp://127.0.0.1:2525 */
  get url(): string {
    return `smtp://${this.host}:${this.port}`;
  }

  /** Base URL of the read-only HTTP inbox (only with `httpInbox: true`). */
  get inboxUrl(): string | undefined {
    return this.inbox?.url;
  }

  /** Options for nodemailer's createTransport (plain SMTP on loopback, no STARTTLS). */
  get transportOptions(): { host: string; port: number; secure: false; ignoreTLS: true } {
    return { host: this.host, port: this.port, secure: false, ignoreTLS: true };
  }

  /** RCPT TO for `address` is refused permanently until `acceptRecipient`. */
  rejectRecipient(address: string, code = 550, message = `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table`): void {
    this.recipientReplies.set(normalize(address), { code, message, remaining: undefined });
  }

  /** The next `times` RCPT TO for `address` are refused temporarily, then accepted (greylisting, full mailbox). */
  deferRecipient(address: string, times: number, code = 451, message = `4.7.1 <${address}>: Recipient address rejected: Try again later`): void {
    this.recipientReplies.set(normalize(address), { code, message, remaining: times });
  }

  acceptRecipient(address: string): void {
    this.recipientReplies.delete(normalize(address));
  }

  /** The next `times` messages are refused after DATA (the message is read, then not accepted). */
  deferNextData(times: number, code = 421, message = '4.3.2 Service not available, try again later'): void {
    this.dataReplies.push({ code, message, remaining: times });
  }

  /**
   * The next `times` messages are accepted (stored, so they count as delivered) and then the connection is cut
   * before the server's 250: the client never learns that the message went through.
   */
  dropAfterData(times: number): void {
    this.dropsAfterData += times;
  }

  /**
   * Stops listening and cuts every open connection, so clients get ECONNREFUSED: nothing can have been received.
   * `acceptConnections` listens on the same port again.
   */
  async refuseConnections(): Promise<void> {
    const server = this.server.server;
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets.values()) socket.destroy();
    await closed;
  }

  async acceptConnections(): Promise<void> {
    const server = this.server.server;
    if (server.listening) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * The mail server is down until `restore()`: new connections are refused at the greeting and every RCPT TO on a
   * connection that was already open gets the same temporary reply (421 by default), so nothing is accepted.
   */
  goDown(code = 421, message = '4.3.2 Service not available, closing transmission channel'): void {
    this.outage = { code, message };
  }

  restore(): void {
    this.outage = undefined;
  }

  /** Delay before the greeting banner and before the answer to DATA. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  messagesTo(address: string): ReceivedEmail[] {
    const wanted = normalize(address);
    return this.messages.filter((message) => message.to.includes(wanted));
  }

  /** Resolves with the first message (already received or arriving) that satisfies `predicate`. */
  waitForMessage(predicate: (message: ReceivedEmail) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedEmail> {
    return waitForArrival(this.messages, this.listeners, predicate, timeoutMs, 'smtp receiver: no matching message');
  }

  /** Forgets received mail, refusals and every script. */
  reset(): void {
    this.messages.length = 0;
    this.refusals.length = 0;
    this.recipientReplies.clear();
    this.dataReplies = [];
    this.dropsAfterData = 0;
    this.latencyMs = 0;
    this.outage = undefined;
  }

  async close(): Promise<void> {
    await this.inbox?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async wait(): Promise<void> {
    if (this.latencyMs > 0) await delay(this.latencyMs);
  }

  private refuse(stage: SmtpRefusal['stage'], address: string | null, code: number, message: string): void {
    this.refusals.push({ at: this.clock.now(), stage, address, code, message });
  }

  private checkRecipient(address: SMTPServerAddress): Error | null {
    const key = normalize(address.address);
    if (this.outage) {
      this.refuse('rcpt', key, this.outage.code, this.outage.message);
      return smtpError(this.outage.code, this.outage.message);
    }
    const reply = this.recipientReplies.get(key);
    if (!reply) return null;
    if (reply.remaining !== undefined) {
      reply.remaining -= 1;
      if (reply.remaining <= 0) this.recipientReplies.delete(key);
    }
    this.refuse('rcpt', key, reply.code, reply.message);
    return smtpError(reply.code, reply.message);
  }

  private takeDataReply(): ScriptedReply | undefined {
    const reply = this.dataReplies[0];
    if (!reply) return undefined;
    if (reply.remaining !== undefined) {
      reply.remaining -= 1;
      if (reply.remaining <= 0) this.dataReplies.shift();
    }
    return reply;
  }

  /** Reads the whole message (smtp-server requires it before answering), then accepts or refuses it. */
  private async receive(stream: Readable & { sizeExceeded?: boolean }, session: SMTPServerSession): Promise<string | Error> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    await this.wait();
    // smtp-server answers 552 itself when the size limit was exceeded.
    if (stream.sizeExceeded) return smtpError(552, '5.3.4 Error: message exceeds fixed maximum message size');
    const scripted = this.takeDataReply();
    if (scripted) {
      this.refuse('data', null, scripted.code, scripted.message);
      return smtpError(scripted.code, scripted.message);
    }

    const raw = Buffer.concat(chunks);
    const parsed = await simpleParser(raw);
    const headers: Record<string, string> = {};
    for (const { key, line } of parsed.headerLines) {
      const value = unfold(line.slice(line.indexOf(':') + 1));
      headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
    }
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
    const queueId = randomBytes(5).toString('hex').toUpperCase();
    const message: ReceivedEmail = {
      receivedAt: this.clock.now(),
      envelope: { mailFrom, rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address) },
      from: addresses(parsed.from)[0] ?? mailFrom,
      to: session.envelope.rcptTo.map((recipient) => normalize(recipient.address)),
      headerTo: addresses(parsed.to),
      cc: addresses(parsed.cc),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : null,
      headers,
      listUnsubscribe: headers['list-unsubscribe'] ?? null,
      listUnsubscribePost: headers['list-unsubscribe-post'] ?? null,
      messageId: parsed.messageId ?? null,
      queueId,
      authUser: typeof session.user === 'string' ? session.user : null,
      raw: raw.toString('utf8'),
    };
    this.messages.push(message);
    for (const listener of [...this.listeners]) listener(message);
    if (this.dropsAfterData > 0) {
      this.dropsAfterData -= 1;
      this.sockets.get(Number(session.remotePort))?.destroy();
    }
    return `2.0.0 Ok: queued as ${queueId}`;
  }
}

export function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  return SmtpReceiver.start(options);
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function normalize(address: string): string {
  return address.trim().toLowerCase();
}

function unfold(value: string): string {
  return value.replace(/\r?\n[ \t]+/g, ' ').trim();
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  if (!header) return [];
  return ([] as AddressObject[])
    .concat(header)
    .flatMap((group) => group.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .map((entry) => entry.address ?? '')
    .filter((address) => address !== '');
}
