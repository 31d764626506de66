/**
 * Our node:crypto verifier must decide exactly as retell-sdk's `verify` (the vendor's reference): the same
 * signatures accepted, the same refused. Signatures are made with retell-sdk's `sign` at a chosen moment (Date
 * faked), then mutated; both verifiers judge each case at the same `now`.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { sign, verify } from 'retell-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkRetellSignature } from './signature.js';

const FIVE_MINUTES = 5 * 60 * 1000;
const NOW = Date.parse('2026-03-02T15:00:00Z');
const KEY = 'key_3f9a0c7be21d4e5f8a6b9c0d';

async function signAt(body: string, key: string, at: number): Promise<string> {
  vi.setSystemTime(at);
  try {
    return await sign(body, key);
  } catch {
    // WebCrypto refuses an empty key; the digest node:crypto would make is what a forger would send.
    return `v=${at},d=${createHmac('sha256', key)
      .update(body + at)
      .digest('hex')}`;
  }
}

/** retell-sdk's decision; it throws (WebCrypto) for an empty key, which refuses the request too. */
async function sdkAccepts(body: string, key: string, header: string, now: number): Promise<boolean> {
  vi.setSystemTime(now);
  return verify(body, key, header).catch(() => false);
}

// The first seven keep a genuine signature valid for the SDK; the rest break it in one way each.
const MUTATIONS = [
  'none',
  'upper-hex',
  'upper-v',
  'upper-d',
  'upper-all',
  'leading-zeros',
  'many-leading-zeros',
  'flip-hex',
  'truncate-hex',
  'extend-hex',
  'odd-hex',
  'non-hex',
  'space-after-comma',
  'trailing-newline',
  'leading-space',
  'swap-parts',
  'drop-v',
  'drop-d',
  'empty-timestamp',
  'letters-timestamp',
  'huge-timestamp',
  'unsafe-timestamp',
  'negative-timestamp',
  'plus-timestamp',
  'decimal-timestamp',
  'exponent-timestamp',
  'arabic-digits',
  'fullwidth-digits',
  'joined-twice',
  'empty-digest',
  'seconds-timestamp',
  'semicolon',
] as const;
type Mutation = (typeof MUTATIONS)[number];

function mutate(header: string, mutation: Mutation, at: number): string {
  const [, stamp = '', digest = ''] = /^v=(-?\d+),d=([0-9a-f]+)$/.exec(header) ?? [];
  const spot = at % Math.max(1, digest.length);
  const flipped = digest.slice(0, spot) + (digest[spot] === '0' ? '1' : '0') + digest.slice(spot + 1);
  switch (mutation) {
    case 'none':
      return header;
    case 'upper-hex':
      return `v=${stamp},d=${digest.toUpperCase()}`;
    case 'upper-v':
      return `V=${stamp},d=${digest}`;
    case 'upper-d':
      return `v=${stamp},D=${digest}`;
    case 'upper-all':
      return header.toUpperCase();
    case 'leading-zeros':
      return `v=0${stamp},d=${digest}`;
    case 'many-leading-zeros':
      return `v=${'0'.repeat(1 + (at % 40))}${stamp},d=${digest}`;
    case 'flip-hex':
      return `v=${stamp},d=${flipped}`;
    case 'truncate-hex':
      return `v=${stamp},d=${digest.slice(0, -2)}`;
    case 'extend-hex':
      return `v=${stamp},d=${digest}00`;
    case 'odd-hex':
      return `v=${stamp},d=${digest.slice(0, -1)}`;
    case 'non-hex':
      return `v=${stamp},d=${digest.slice(0, -1)}g`;
    case 'space-after-comma':
      return `v=${stamp}, d=${digest}`;
    case 'trailing-newline':
      return `${header}\n`;
    case 'leading-space':
      return ` ${header}`;
    case 'swap-parts':
      return `d=${digest},v=${stamp}`;
    case 'drop-v':
      return `d=${digest}`;
    case 'drop-d':
      return `v=${stamp}`;
    case 'empty-timestamp':
      return `v=,d=${digest}`;
    case 'letters-timestamp':
      return `v=${stamp.slice(0, -1)}x,d=${digest}`;
    case 'huge-timestamp':
      return `v=${'9'.repeat(400)},d=${digest}`;
    case 'unsafe-timestamp':
      return `v=${Number.MAX_SAFE_INTEGER + 1 + (at % 3)},d=${digest}`;
    case 'negative-timestamp':
      return `v=-${stamp},d=${digest}`;
    case 'plus-timestamp':
      return `v=+${stamp},d=${digest}`;
    case 'decimal-timestamp':
      return `v=${stamp}.0,d=${digest}`;
    case 'exponent-timestamp':
      return `v=${Number(stamp).toExponential()},d=${digest}`;
    case 'arabic-digits':
      return `v=${stamp.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)))},d=${digest}`;
    case 'fullwidth-digits':
      return `v=${stamp.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)))},d=${digest}`;
    case 'joined-twice':
      return `${header}, ${header}`;
    case 'empty-digest':
      return `v=${stamp},d=`;
    case 'seconds-timestamp':
      return `v=${Math.floor(Number(stamp) / 1000)},d=${digest}`;
    case 'semicolon':
      return `v=${stamp};d=${digest}`;
  }
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const character = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('a', '{', '"', ':', ',', 'é', '€', '😀', '\n', '\u0000') },
  { weight: 1, arbitrary: loneSurrogate },
);
const LARGE_BODY = JSON.stringify({
  event: 'call_ended',
  call: { transcript: Array.from({ length: 420 }, (_, i) => `Agent: line ${i}, été ✓.\nUser: My number is 212-555-01${i % 100}.`).join('\n') },
});
const body = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: character, maxLength: 80 }) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constant(LARGE_BODY) },
);
const key = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.constant(KEY) },
  { weight: 3, arbitrary: fc.string({ unit: character, minLength: 1, maxLength: 48 }) },
);
const now = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: NOW - 400 * 86_400_000, max: NOW + 400 * 86_400_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * FIVE_MINUTES }) },
);
const skew = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, -1, FIVE_MINUTES - 1, FIVE_MINUTES, FIVE_MINUTES + 1, -FIVE_MINUTES + 1, -FIVE_MINUTES, -FIVE_MINUTES - 1) },
  { weight: 4, arbitrary: fc.integer({ min: -FIVE_MINUTES - 1000, max: FIVE_MINUTES + 1000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -86_400_000, max: 86_400_000 }) },
);
const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...MUTATIONS.slice(0, 7)) },
  { weight: 2, arbitrary: fc.constantFrom(...MUTATIONS.slice(7)) },
);
const tamper = fc.oneof(
  { weight: 2, arbitrary: fc.constant('none') },
  { weight: 1, arbitrary: fc.constantFrom('append', 'drop-last', 'replace-first', 'other-key') },
);

describe('checkRetellSignature decides as retell-sdk verify', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('on 15,000 signed requests, tampered or not, with mutated headers at the window edges', async () => {
    const decisions = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(body, key, now, skew, tamper, mutation, async (rawBody, apiKey, at, offset, tampering, mutation) => {
        const signedAt = Math.max(0, at + offset);
        const signedBody =
          tampering === 'append'
            ? `${rawBody} `
            : tampering === 'drop-last'
              ? rawBody.slice(0, -1)
              : tampering === 'replace-first'
                ? `x${rawBody.slice(1)}`
                : rawBody;
        const signingKey = tampering === 'other-key' ? `${apiKey}x` : apiKey;
        const header = mutate(await signAt(signedBody, signingKey, signedAt), mutation, at);
        const expected = await sdkAccepts(rawBody, apiKey, header, at);
        const check = checkRetellSignature(rawBody, apiKey, header, at);
        decisions[expected ? 'accepted' : 'refused'] += 1;
        expect({ header, accepted: check.ok }).toEqual({ header, accepted: expected });
      }),
      { numRuns: 15_000 },
    );
    // Both outcomes must be well represented, or the comparison says little.
    expect(decisions.accepted).toBeGreaterThan(2_000);
    expect(decisions.refused).toBeGreaterThan(2_000);
  }, 120_000);

  it('on 5,000 arbitrary and near-valid header strings', async () => {
    const nearValid = fc
      .tuple(
        fc.constantFrom('v=', 'V=', 'v:', '', 'v =', 'd='),
        fc.oneof(fc.stringMatching(/^[0-9]{0,20}$/), fc.constantFrom(String(NOW), `000${NOW}`, `${NOW - FIVE_MINUTES}`, `${NOW + FIVE_MINUTES + 1}`)),
        fc.constantFrom(',', ', ', ';', '', ',,'),
        fc.constantFrom('d=', 'D=', 'd:', ''),
        fc.stringMatching(/^[0-9a-fA-FgG ]{0,70}$/),
      )
      .map((parts) => parts.join(''));
    const header = fc.oneof(fc.string({ unit: character, maxLength: 100 }), nearValid);
    await fc.assert(
      fc.asyncProperty(body, key, header, async (rawBody, apiKey, value) => {
        const expected = await sdkAccepts(rawBody, apiKey, value, NOW);
        expect({ value, accepted: checkRetellSignature(rawBody, apiKey, value, NOW).ok }).toEqual({ value, accepted: expected });
      }),
      { numRuns: 5_000 },
    );
  }, 60_000);
});

describe('checkRetellSignature', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('accepts what retell-sdk signs, also with upper-case hex, `V=`, leading zeros and a lone surrogate in the body', async () => {
    const rawBody = '{"event":"call_started","note":"\ud800 é"}';
    const header = await signAt(rawBody, KEY, NOW);
    const [, stamp, digest] = /^v=(\d+),d=(.+)$/.exec(header)!;
    for (const variant of [header, `v=${stamp},d=${digest!.toUpperCase()}`, `V=${stamp},D=${digest}`, `v=000${stamp},d=${digest}`]) {
      expect(checkRetellSignature(rawBody, KEY, variant, NOW), variant).toEqual({ ok: true });
    }
  });

  it('accepts a signature up to exactly 5 minutes old or ahead and calls one millisecond more stale', async () => {
    const rawBody = '{}';
    const header = await signAt(rawBody, KEY, NOW);
    for (const at of [NOW - FIVE_MINUTES, NOW + FIVE_MINUTES]) expect(checkRetellSignature(rawBody, KEY, header, at)).toEqual({ ok: true });
    for (const at of [NOW - FIVE_MINUTES - 1, NOW + FIVE_MINUTES + 1])
      expect(checkRetellSignature(rawBody, KEY, header, at)).toEqual({ ok: false, problem: 'stale' });
  });

  it('names the problem: missing, malformed, mismatch (tampered body, other key, empty key)', async () => {
    const rawBody = '{"a":1}';
    const header = await signAt(rawBody, KEY, NOW);
    expect(checkRetellSignature(rawBody, KEY, undefined, NOW)).toEqual({ ok: false, problem: 'missing' });
    expect(checkRetellSignature(rawBody, KEY, '', NOW)).toEqual({ ok: false, problem: 'missing' });
    for (const bad of [[header, header], 'v=abc,d=zz', `v=${'9'.repeat(17)},d=${'a'.repeat(64)}`, `${header}0`, `${header}\n`]) {
      expect(checkRetellSignature(rawBody, KEY, bad, NOW)).toEqual({ ok: false, problem: 'malformed' });
    }
    expect(checkRetellSignature('{"a":2}', KEY, header, NOW)).toEqual({ ok: false, problem: 'mismatch' });
    expect(checkRetellSignature(rawBody, `${KEY}x`, header, NOW)).toEqual({ ok: false, problem: 'mismatch' });
    const emptyKeyHeader = await signAt(rawBody, '', NOW);
    expect(checkRetellSignature(rawBody, '', emptyKeyHeader, NOW)).toEqual({ ok: false, problem: 'mismatch' });
  });
});
