/**
 * What messaging needs from the vendors, as small ports. The vendor modules (src/twilio, src/telnyx, src/smtp,
 * src/sendgrid) implement them and register one route per office on `context.smsProviders` /
 * `context.emailProviders`; messaging (chains.ts) asks for the providers an office lists and never names a vendor's
 * codes: adapters throw VendorError with a vendor-neutral `failure` (core/errors.ts).
 */
import type { CircuitAccount } from './circuit-breaker.js';

export interface SmsSendRequest {
  to: string;
  body: string;
  from?: string;
  messagingServiceSid?: string;
  statusCallback?: string;
}

export interface SmsSendResult {
  providerId: string;
  status: string;
  segments: number | null;
}

/** A text the provider already has, as found by `findSent`. */
export interface SmsSentMessage extends SmsSendResult {
  createdAt: Date;
}

/**
 * Throws VendorError (`retryable` set from the vendor's error classification; `ambiguous` when the request went out
 * and its answer was lost, so the text may exist).
 */
export interface SmsPort {
  send(request: SmsSendRequest): Promise<SmsSendResult>;
  /**
   * The provider's outgoing texts matching `request` (recipient, sender, body) created at or after `since`, oldest
   * first: how a send whose answer was lost is reconciled. Throws VendorError when the provider cannot say.
   */
  findSent?(request: SmsSendRequest, since: Date): Promise<SmsSentMessage[]>;
  /**
   * One text by the provider's id, for providers that cannot be searched (Telnyx): a lost send is reconciled from
   * the id the provider's own webhook brought. Undefined when the provider does not know it.
   */
  lookup?(providerId: string): Promise<SmsSendResult | undefined>;
}

export interface EmailMessage {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  /** List-* headers (nodemailer `list`), e.g. `{ unsubscribe: [{ url, comment }] }`. */
  list?: Record<string, unknown>;
  /**
   * Left part of the Message-ID (`<reference@sender-domain>`), the same for the same message: a copy sent twice is
   * recognisable as one at the mailbox (and findable in the provider's log). A random one when omitted.
   */
  reference?: string;
}

export interface EmailSendResult {
  messageId: string;
  response: string;
}

/**
 * Throws VendorError (`retryable` set per reference/messaging.md §2; `ambiguous` when the connection was lost after
 * the whole message was handed to the server, which may have accepted it).
 */
export interface EmailPort {
  send(message: EmailMessage): Promise<EmailSendResult>;
  close(): Promise<void> | void;
}

/** What an SMS vendor module offers one office: its port, the sender it uses and where it reports delivery status. */
export interface SmsRoute {
  port: SmsPort;
  from?: string;
  messagingServiceSid?: string;
  /** Where the provider reports this queue item's delivery status. */
  statusCallback(outboxId: number): string;
}

/** What an e-mail vendor module offers one office. */
export interface EmailRoute {
  port: EmailPort;
}

/** One provider of an office's SMS chain: its route, its name and its circuit-breaker account. */
export interface SmsLink extends SmsRoute {
  provider: string;
  account: CircuitAccount;
}

/** One provider of an office's e-mail chain. */
export interface EmailLink extends EmailRoute {
  provider: string;
  account: CircuitAccount;
}

export interface ProviderChain<T> {
  links: T[];
  /** The office lists a chain: breakers and failover apply. False: its one default provider alone, exactly as before chains. */
  explicit: boolean;
}
