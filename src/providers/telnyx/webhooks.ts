/**
 * Telnyx webhook authentication (reference/sms-email-providers.md §1): an Ed25519 signature
 * (`telnyx-signature-ed25519`, base64) over `${telnyx-timestamp}|${raw body}` with the account's public key (raw 32
 * bytes, base64), and the timestamp within 300 s of our clock, as the SDK's own `webhooks.unwrap` checks. Done with
 * node:crypto against our injectable clock (the SDK's check reads the wall clock).
 */
import { createPublicKey, verify } from 'node:crypto';

/** The SPKI DER prefix of an Ed25519 public key; the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export const TELNYX_TOLERANCE_SECONDS = 300;

export function hasValidTelnyxSignature(
  publicKeyBase64: string | undefined,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
  now: Date,
): boolean {
  const signature = headers['telnyx-signature-ed25519'];
  const timestamp = headers['telnyx-timestamp'];
  if (!publicKeyBase64 || typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TELNYX_TOLERANCE_SECONDS) return false;
  try {
    const raw = Buffer.from(publicKeyBase64, 'base64');
    if (raw.length !== 32) return false;
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    const bytes = Buffer.from(signature, 'base64');
    if (bytes.length !== 64) return false;
    return verify(null, Buffer.from(`${timestamp}|${rawBody}`), key, bytes);
  } catch {
    return false;
  }
}
