/**
 * Typed failures. The outbox decides retry-or-dead from `retryable` alone, so every vendor client
 * throws VendorError with that field set from the vendor's own error classification.
 */
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

  constructor(init: {
    vendor: string;
    code: string;
    message: string;
    retryable: boolean;
    status?: number;
    response?: unknown;
    ambiguous?: boolean;
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
    return Boolean((error as { retryable: unknown }).retryable);
  }
  return true;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
