/**
 * Unsubscribe links carry a sealed token (AES-256-GCM via the SecretBox): authenticated, so nobody can forge
 * one for another address, and encrypted, so the e-mail address never appears in a URL or an access log.
 * Tokens do not expire: CAN-SPAM wants the opt-out to keep working at least 30 days after sending.
 */
import { z } from 'zod';
import type { SecretBox } from '../core/crypto.js';

const tokenSchema = z.object({ v: z.literal(1), c: z.string(), ch: z.enum(['email', 'sms']), a: z.string() });

export interface UnsubscribeSubject {
  clientId: string;
  channel: 'email' | 'sms';
  address: string;
}

export function createUnsubscribeToken(box: SecretBox, subject: UnsubscribeSubject): string {
  return box.seal(JSON.stringify({ v: 1, c: subject.clientId, ch: subject.channel, a: subject.address }));
}

export function readUnsubscribeToken(box: SecretBox, token: string): UnsubscribeSubject | undefined {
  try {
    const parsed = tokenSchema.safeParse(JSON.parse(box.open(token)));
    if (!parsed.success) return undefined;
    return { clientId: parsed.data.c, channel: parsed.data.ch, address: parsed.data.a };
  } catch {
    return undefined;
  }
}

export function unsubscribeUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/v1/unsubscribe/${token}`;
}
