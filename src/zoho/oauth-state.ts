/**
 * Signed, expiring tokens for the Zoho connect flow: the `state` that round-trips through Zoho (so a callback
 * cannot be forged or replayed days later) and the `ticket` that lets an unauthenticated browser start the
 * flow from a link the CLI printed (until the dashboard's staff login guards the start route).
 */
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../core/crypto.js';

export const STATE_TTL_MS = 15 * 60_000;
export const TICKET_TTL_MS = 60 * 60_000;

interface Signed {
  purpose: 'zoho-state' | 'zoho-ticket';
  client: string;
  exp: number;
  nonce: string;
}

function encode(box: SecretBox, payload: Signed): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${box.sign(body)}`;
}

function decode(box: SecretBox, token: string, purpose: Signed['purpose'], nowMs: number): string | undefined {
  const [body, signature] = token.split('.');
  if (!body || !signature || !box.verify(body, signature)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Signed>;
    if (payload.purpose !== purpose || typeof payload.client !== 'string' || typeof payload.exp !== 'number') return undefined;
    return payload.exp > nowMs ? payload.client : undefined;
  } catch {
    return undefined;
  }
}

export function signState(box: SecretBox, clientId: string, nowMs: number): string {
  return encode(box, { purpose: 'zoho-state', client: clientId, exp: nowMs + STATE_TTL_MS, nonce: randomBytes(8).toString('hex') });
}

/** The client the state was made for, or undefined when forged, altered or expired. */
export function verifyState(box: SecretBox, state: string, nowMs: number): string | undefined {
  return decode(box, state, 'zoho-state', nowMs);
}

export function signTicket(box: SecretBox, clientId: string, nowMs: number, ttlMs = TICKET_TTL_MS): string {
  return encode(box, { purpose: 'zoho-ticket', client: clientId, exp: nowMs + ttlMs, nonce: randomBytes(8).toString('hex') });
}

export function verifyTicket(box: SecretBox, ticket: string, clientId: string, nowMs: number): boolean {
  return decode(box, ticket, 'zoho-ticket', nowMs) === clientId;
}

/** The link `switchboard zoho connect` prints. */
export function connectLink(publicBaseUrl: string, box: SecretBox, clientId: string, nowMs: number): string {
  const url = new URL('/v1/oauth/zoho/start', publicBaseUrl);
  url.searchParams.set('client', clientId);
  url.searchParams.set('ticket', signTicket(box, clientId, nowMs));
  return url.toString();
}
