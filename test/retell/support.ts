/** Builders for Retell payloads and a client that signs requests with retell-sdk exactly as Retell does. */
import { sign } from 'retell-sdk';
import { vi } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';

export const CLIENT = 'smart-tax-nation';
export const AGENT = 'agent_stn_demo_0001';
export const API_KEY = DEMO_SECRETS.RETELL_API_KEY;
export const CALLER = '+12125550123';
export const OFFICE_LINE = '+12125550199';

let sequence = 0;
export function aCallId(): string {
  sequence += 1;
  return `call_test_${Date.now().toString(36)}_${sequence}`;
}

export function aCall(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    call_type: 'phone_call',
    call_id: 'call_x',
    agent_id: AGENT,
    agent_version: 3,
    call_status: 'ongoing',
    direction: 'inbound',
    from_number: CALLER,
    to_number: OFFICE_LINE,
    start_timestamp: Date.parse('2026-03-02T15:00:00Z'),
    ...overrides,
  };
}

export function anEndedCall(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return aCall({
    call_status: 'ended',
    end_timestamp: Date.parse('2026-03-02T15:01:35Z'),
    duration_ms: 95_000,
    transcript: 'Agent: Thanks for calling Smart Tax Nation.\nUser: My SSN is 123-45-6789, can you check my refund?',
    transcript_object: [
      { role: 'agent', content: 'Thanks for calling Smart Tax Nation.', words: [{ word: 'Thanks', start: 0.1, end: 0.4 }] },
      { role: 'user', content: 'My SSN is 123-45-6789, can you check my refund?', words: [] },
    ],
    disconnection_reason: 'user_hangup',
    recording_url: 'https://example.invalid/r.wav',
    ...overrides,
  });
}

export function anAnalyzedCall(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return anEndedCall({
    call_analysis: {
      call_summary: 'The caller asked about the status of their refund.',
      user_sentiment: 'Neutral',
      call_successful: true,
      in_voicemail: false,
      custom_analysis_data: { intent: 'refund_status', caller_name: 'Dana' },
    },
    ...overrides,
  });
}

export async function signedPost(
  baseUrl: string,
  path: string,
  body: unknown,
  options: { key?: string; signature?: string | null; rawBody?: string; signedAt?: number } = {},
): Promise<Response> {
  const raw = options.rawBody ?? JSON.stringify(body);
  let signature = options.signature;
  if (signature === undefined) {
    if (options.signedAt !== undefined) {
      vi.useFakeTimers({ toFake: ['Date'], now: options.signedAt });
      try {
        signature = await sign(raw, options.key ?? API_KEY);
      } finally {
        vi.useRealTimers();
      }
    } else {
      signature = await sign(raw, options.key ?? API_KEY);
    }
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null) headers['x-retell-signature'] = signature;
  return fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: raw });
}

export function webhookPath(client = CLIENT): string {
  return `/v1/retell/${client}/webhook`;
}
export function inboundPath(client = CLIENT): string {
  return `/v1/retell/${client}/inbound`;
}
export function functionPath(name?: string, client = CLIENT): string {
  return name ? `/v1/retell/${client}/functions/${name}` : `/v1/retell/${client}/functions`;
}
