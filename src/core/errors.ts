/**
 * Typed failures. The outbox decides retry-or-dead from `retryable` alone, so every vendor client
 * throws VendorError with that field set from the vendor's own error classification.
 */
/**
 * What a messaging provider's failure means to the domain, whatever the vendor's own codes (issue 19). Adapters set
 * it; messaging decides failover and consent from it alone:
 * - `never_accepted`: the provider certainly did not take the message (no connection, DNS/TLS, 429, 5xx without an
 *   id): another provider may send it now;
 * - `config`: our account or setup is refused (401/403, unverified sender): never accepted either, and alerts;
 * - `recipient_invalid`: the recipient cannot receive it (bad or landline number, mailbox refused): final;
 * - `recipient_opted_out`: the recipient blocked us at the provider (Twilio 21610, Telnyx 40300): final, and the
 *   recipient is opted out for every provider;
 * - `accepted_unknown`: the request went out and its answer was lost: reconcile at that provider before any resend;
 * - `rejected`: refused for the message itself (too long, bad content): final.
 */
export type FailureClass = 'never_accepted' | 'config' | 'recipient_invalid' | 'recipient_opted_out' | 'accepted_unknown' | 'rejected';

export class VendorError extends Error {
  readonly vendor: string;
  readonly code: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly response?: unknown;
  /**
   * The request reached the vendor but its answer was lost (connection reset or timed out after it was sent): the
   * effect may have happened. A caller must not repeat a non-idempotent request on this alone.
   */
  readonly ambiguous: boolean;
  /** The vendor-neutral meaning (messaging providers set it; derived from `ambiguous`/`retryable` when not). */
  readonly failure: FailureClass;

  constructor(init: {
    vendor: string;
    code: string;
    message: string;
    retryable: boolean;
    status?: number;
    response?: unknown;
    ambiguous?: boolean;
    failure?: FailureClass;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'VendorError';
    this.vendor = init.vendor;
    this.code = init.code;
    this.retryable = init.retryable;
    this.status = init.status;
    this.response = init.response;
    this.ambiguous = init.ambiguous ?? false;
    this.failure = init.failure ?? (this.ambiguous ? 'accepted_unknown' : init.retryable ? 'never_accepted' : 'rejected');
  }
}

/** A failure that retrying cannot fix (bad data, opted-out recipient): the outbox marks the row dead at once. */
export class PermanentError extends Error {
  readonly retryable = false;
  readonly code: string;
  constructor(message: string, code = 'permanent') {
    super(message);
    this.name = 'PermanentError';
    this.code = code;
  }
}

export function isRetryable(error: unknown): boolean {
  if (error && typeof error === 'object' && 'retryable' in error) {
    return Boolean(error.retryable);
  }
  return true;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
