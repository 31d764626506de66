/**
 * Retell's request signature (`X-Retell-Signature: v=<ms>,d=<hex hmac>`), checked and produced with
 * retell-sdk's own code. Both are async: an unawaited verify is a truthy Promise that would let forgeries in.
 */
import { sign, verify } from 'retell-sdk';

export const RETELL_SIGNATURE_HEADER = 'x-retell-signature';
const SIGNATURE_SHAPE = /^v=(\d{1,16}),d=([0-9a-fA-F]{64})$/;
const TOLERANCE_MS = 5 * 60 * 1000;

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem };

/**
 * Verifies `signature` over the raw body exactly as received. The SDK answers only true/false; the shape and
 * age are classified here first so the error log says which kind of failure it was.
 */
export async function checkRetellSignature(
  rawBody: string,
  apiKey: string,
  signature: string | string[] | undefined,
  now: number = Date.now(),
): Promise<SignatureCheck> {
  if (signature === undefined || signature === '') return { ok: false, problem: 'missing' };
  if (Array.isArray(signature)) return { ok: false, problem: 'malformed' };
  const match = SIGNATURE_SHAPE.exec(signature.trim());
  if (!match) return { ok: false, problem: 'malformed' };
  if (Math.abs(now - Number(match[1])) > TOLERANCE_MS) return { ok: false, problem: 'stale' };
  const valid: boolean = await verify(rawBody, apiKey, signature.trim());
  return valid ? { ok: true } : { ok: false, problem: 'mismatch' };
}

/** Signs a body exactly as Retell does (used by the call simulator, tests and the benchmark). */
export async function signRetellBody(rawBody: string, apiKey: string): Promise<string> {
  return sign(rawBody, apiKey);
}
