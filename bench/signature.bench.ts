/**
 * Per-call cost of checking a Retell signature on a 53 KB call_ended body: retell-sdk's `verify` (what the guard
 * used before issue 21; it imports a WebCrypto key and re-encodes body + timestamp every call) against
 * `checkRetellSignature` (node:crypto). CPU time per call, sequential, after a warm-up; both accept the body.
 * `node bin/run-ts.js bench/run.ts signature` runs only this.
 */
import { sign, verify } from 'retell-sdk';
import { checkRetellSignature } from '../src/providers/retell/signature.js';
import type { BenchResult } from './types.js';

const KEY = 'key_bench_signature_0001';

function callEndedBody(minimumBytes: number): string {
  const lines = [
    'Thanks for calling Smart Tax Nation, this is the virtual receptionist. How can I help you today?',
    "Hi, I got a letter from the IRS about my 2025 return and I'm not sure what it means.",
    "Yes, please bring the letter, last year's return and a photo ID. Would Thursday afternoon work?",
  ];
  const transcriptObject: Array<{ role: string; content: string; words: Array<{ word: string; start: number; end: number }> }> = [];
  const body = () => JSON.stringify({ event: 'call_ended', call: { call_id: 'call_bench', transcript_object: transcriptObject } });
  for (let i = 0; body().length < minimumBytes; i++) {
    const content = lines[i % lines.length]!;
    transcriptObject.push({
      role: i % 2 ? 'user' : 'agent',
      content,
      words: content.split(' ').map((word, w) => ({ word, start: i * 6 + w * 0.3, end: i * 6 + w * 0.3 + 0.25 })),
    });
  }
  return body();
}

async function microsecondsPerCall(calls: number, check: () => Promise<boolean> | boolean): Promise<number> {
  for (let i = 0; i < Math.min(500, calls); i++) if (!(await check())) throw new Error('the signature was refused');
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await check();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

export async function run(): Promise<BenchResult[]> {
  const body = callEndedBody(53_000);
  const signature = await sign(body, KEY);
  const sdk = await microsecondsPerCall(2_000, () => verify(body, KEY, signature));
  const ours = await microsecondsPerCall(10_000, () => checkRetellSignature(body, KEY, signature).ok);
  const size = `${Math.round(body.length / 1000)} KB body`;
  return [
    { name: 'signature check: retell-sdk verify', value: Math.round(sdk * 10) / 10, unit: 'µs CPU/call', notes: size },
    {
      name: 'signature check: checkRetellSignature (node:crypto)',
      value: Math.round(ours * 10) / 10,
      unit: 'µs CPU/call',
      notes: `${size}, ${(sdk / ours).toFixed(1)}× less`,
    },
  ];
}
