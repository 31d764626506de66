/**
 * Signed, expiring tokens for a provider's connect flow: the `state` that round-trips through the provider (so a
 * callback cannot be forged or replayed days later) and the `ticket` that lets a browser start the flow from a link
 * an operator was given. The same scheme as src/zoho/oauth-state.ts, with the provider in the purpose so a Google
 * state can never finish a Microsoft flow.
 */
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../core/crypto.js';

export const STATE_TTL_MS = 15 * 60_000;
export const TICKET_TTL_MS = 60 * 60_000;

interface Signed {
  purpose: string;
  client: string;
  exp: number;
  nonce: string;
}

function encode(box: SecretBox, payload: Signed): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${box.sign(body)}`;
}

function decode(box: SecretBox, token: string, purpose: string, nowMs: number): string | undefined {
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

export function signConnectState(box: SecretBox, provider: string, clientId: string, nowMs: number): string {
  return encode(box, { purpose: `${provider}-state`, client: clientId, exp: nowMs + STATE_TTL_MS, nonce: randomBytes(8).toString('hex') });
}

/** The office the state was made for, or undefined when forged, altered, expired or made for another provider. */
export function verifyConnectState(box: SecretBox, provider: string, state: string, nowMs: number): string | undefined {
  return decode(box, state, `${provider}-state`, nowMs);
}

export function signConnectTicket(box: SecretBox, provider: string, clientId: string, nowMs: number, ttlMs = TICKET_TTL_MS): string {
  return encode(box, { purpose: `${provider}-ticket`, client: clientId, exp: nowMs + ttlMs, nonce: randomBytes(8).toString('hex') });
}

export function verifyConnectTicket(box: SecretBox, provider: string, ticket: string, clientId: string, nowMs: number): boolean {
  return decode(box, ticket, `${provider}-ticket`, nowMs) === clientId;
}

/** The link an operator opens to connect `provider` for an office (valid TICKET_TTL_MS). */
export function connectLink(publicBaseUrl: string, box: SecretBox, provider: string, clientId: string, nowMs: number): string {
  const url = new URL(`/v1/oauth/${provider}/start`, publicBaseUrl);
  url.searchParams.set('client', clientId);
  url.searchParams.set('ticket', signConnectTicket(box, provider, clientId, nowMs));
  return url.toString();
}
