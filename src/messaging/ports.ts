/**
 * What messaging needs from the vendors, as small ports: providers/twilio and providers/smtp implement them;
 * module.ts wires a real provider or the sandbox emulator per client.
 */
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

/** Throws VendorError (`retryable` set from the vendor's error classification). */
export interface SmsPort {
  send(request: SmsSendRequest): Promise<SmsSendResult>;
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
}

export interface EmailSendResult {
  messageId: string;
  response: string;
}

/** Throws VendorError (`retryable` set per reference/messaging.md §2). */
export interface EmailPort {
  send(message: EmailMessage): Promise<EmailSendResult>;
  close(): Promise<void> | void;
}
