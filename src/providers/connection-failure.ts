/**
 * What a vendor request that failed below HTTP means, from its network code: the same for every messaging provider
 * that speaks HTTP (SendGrid, Telnyx), in core/errors.ts's neutral words.
 */
import { VendorError } from '../core/errors.js';

/** Failures before a connection existed (DNS, refused, unreachable, TLS): the vendor cannot have the request. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * `never_accepted` when no connection was made (another provider may send it now); otherwise the request may have
 * been read and acted on and only the answer is missing: a lost answer (`ambiguous`), never sent again blindly.
 * `name` is the vendor as a person reads it, `detail` what the network said, `what` what the vendor may have
 * ("the text", "taken the e-mail").
 */
export function connectionFailure(init: { vendor: string; name: string; code: string; detail: string; what: string; cause: unknown }): VendorError {
  const { vendor, name, code, detail, what, cause } = init;
  if (NOT_CONNECTED.has(code)) {
    return new VendorError({ vendor, code, retryable: true, failure: 'never_accepted', message: `Could not reach ${name} (${code}).`, cause });
  }
  return new VendorError({ vendor, code, retryable: true, ambiguous: true, message: `${name}'s answer was lost (${detail}); it may have ${what}.`, cause });
}

/** The vendor's SDK did not load (a broken install): nothing left this process, so another provider may send now. */
export function sdkNotLoaded(init: { vendor: string; name: string; cause: unknown }): VendorError {
  const { vendor, name, cause } = init;
  return new VendorError({
    vendor,
    code: 'sdk_not_loaded',
    retryable: true,
    failure: 'never_accepted',
    message: `${name}'s SDK could not be loaded; nothing was sent.`,
    cause,
  });
}
