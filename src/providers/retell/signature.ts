/**
 * Retell's request signature (`X-Retell-Signature: v=<ms>,d=<hex hmac>`). Checked with node:crypto, deciding
 * exactly as retell-sdk's `verify` does (signature.test.ts compares the two over tens of thousands of cases);
 * produced with retell-sdk's own `sign`, which stays the reference.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sign } from 'retell-sdk';

export const RETELL_SIGNATURE_HEADER = 'x-retell-signature';
// The SDK's own pattern: either letter case (`V=`, upper-case hex), any run of ASCII digits (leading zeros too).
const SIGNATURE_SHAPE = /^v=(\d+),d=([0-9a-f]+)$/i;
const DIGEST_HEX_LENGTH = 64;
const TOLERANCE_MS = 5 * 60 * 1000;

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem };

/**
 * Verifies `signature` over the raw body exactly as received, and says which kind of failure it was for the
 * error log. retell-sdk's `verify` imports a WebCrypto key and re-encodes body + timestamp on every call
 * (~5× the cost of this); its decisions are kept, including these:
 * - the HMAC covers body + the timestamp as a number, so `v=0001700000000000` signs with `1700000000000`;
 * - a timestamp beyond 2^53 - 1 is refused, and one up to exactly 5 minutes away either side is accepted;
 * - strings are encoded as UTF-8 with lone surrogates as U+FFFD (TextEncoder there, Buffer here);
 * - an empty API key never verifies (WebCrypto refuses a zero-length HMAC key; node:crypto would take it).
 */
export function checkRetellSignature(rawBody: string, apiKey: string, signature: string | string[] | undefined, now: number = Date.now()): SignatureCheck {
  if (signature === undefined || signature === '') return { ok: false, problem: 'missing' };
  if (Array.isArray(signature)) return { ok: false, problem: 'malformed' };
  const match = SIGNATURE_SHAPE.exec(signature);
  const timestamp = Number(match?.[1]);
  const digestHex = match?.[2] ?? '';
  if (!Number.isSafeInteger(timestamp) || digestHex.length !== DIGEST_HEX_LENGTH) return { ok: false, problem: 'malformed' };
  if (!Number.isFinite(now) || Math.abs(now - timestamp) > TOLERANCE_MS) return { ok: false, problem: 'stale' };
  if (apiKey === '') return { ok: false, problem: 'mismatch' };
  const expected = createHmac('sha256', apiKey).update(rawBody).update(String(timestamp)).digest();
  return timingSafeEqual(expected, Buffer.from(digestHex, 'hex')) ? { ok: true } : { ok: false, problem: 'mismatch' };
}

/** Signs a body exactly as Retell does (used by the call simulator, tests and the benchmark). */
export async function signRetellBody(rawBody: string, apiKey: string): Promise<string> {
  return sign(rawBody, apiKey);
}
