/**
 * Twilio webhook authentication with the twilio package's own validateRequest: HMAC-SHA1 over the public
 * URL Twilio requested plus every posted parameter. The URL is rebuilt from our configured public base URL
 * (behind a proxy the Host header is not what Twilio signed).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { parseForm } from '../http/sanitize.js';

export function publicUrlOf(publicBaseUrl: string, request: FastifyRequest): string {
  return `${publicBaseUrl}${request.url}`;
}

/**
 * The form parameters exactly as Twilio sent them (it signs those): the parsed body handlers see has had NUL
 * characters and lone surrogates removed (`http/sanitize.ts`), so the form is read again from the raw text.
 */
function paramsAsSent(request: FastifyRequest): Record<string, unknown> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' && request.rawBody !== undefined) return parseForm(request.rawBody);
  return (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
}

export function hasValidTwilioSignature(authToken: string, publicBaseUrl: string, request: FastifyRequest): boolean {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '' || !authToken) return false;
  const params = paramsAsSent(request);
  const url = publicUrlOf(publicBaseUrl, request);
  try {
    // The URL exactly as requested first: one HMAC for what Twilio sends. validateRequest tries the URL without its
    // port first (then with it, then re-encoded variants), so a callback URL with a port would cost two or more.
    const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
    const given = Buffer.from(signature);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    return false;
  }
}

/** TwiML answer: one reply text, or none. */
export function twiml(message?: string): string {
  const escaped = message?.replace(/[&<>]/g, (char) => `&#${char.charCodeAt(0)};`);
  return escaped
    ? `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${escaped}</Message></Response>`
    : '<?xml version="1.0" encoding="UTF-8"?><Response/>';
}
