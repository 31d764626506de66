import { describe, expect, it } from 'vitest';
import { MAX_NESTING, cleanForm, cleanJsonBody, parseForm, storable } from './sanitize.js';

const clean = (text: string) => cleanJsonBody(text, JSON.parse(text));
const nested = (levels: number, shape: 'array' | 'object') =>
  shape === 'array' ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('storable strings', () => {
  it('strips NUL and lone surrogates and keeps valid surrogate pairs', () => {
    expect(storable('a\u0000b\ud800c\udfffd')).toBe('abcd');
    expect(storable('\udc00\ud83d\ude00\ud83d')).toBe('\ud83d\ude00');
    expect(storable('plain é \u2028')).toBe('plain é \u2028');
  });
});

describe('JSON bodies', () => {
  it('cleans every string and key, at any position, in place', () => {
    const result = clean('{"a\\u0000":"x\\u0000y","list":["\\ud800ok",{"k":"\\udc00v"}],"n":1,"emoji":"\\ud83d\\ude00"}');
    expect(result).toEqual({ ok: true, value: { a: 'xy', list: ['ok', { k: 'v' }], n: 1, emoji: '\ud83d\ude00' } });
  });

  it('keeps a key that becomes "__proto__" a plain property, not the prototype', () => {
    const result = clean('{"__proto__\\u0000":{"admin":true}}');
    expect(result.ok).toBe(true);
    const value = (result as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect((value as { admin?: unknown }).admin).toBeUndefined();
  });

  it('leaves text that only looks like an escape alone (an escaped backslash before "u0000")', () => {
    expect(clean('{"a":"\\\\u0000"}')).toEqual({ ok: true, value: { a: '\\u0000' } });
  });

  it(`accepts ${MAX_NESTING} levels of objects or arrays and refuses one more, however deep it goes`, () => {
    for (const shape of ['array', 'object'] as const) {
      expect(clean(nested(MAX_NESTING, shape)).ok).toBe(true);
      expect(clean(nested(MAX_NESTING + 1, shape))).toEqual({ ok: false, problem: expect.stringContaining(`${MAX_NESTING} levels`) });
      expect(clean(nested(10_000, shape)).ok).toBe(false);
    }
    // Deep and dirty: the cleaning walk stops at the limit too.
    expect(clean(`{"s":"\\u0000",${nested(100_000, 'object').slice(1)}`).ok).toBe(false);
  });

  it('is not fooled by many brackets side by side, or by brackets inside strings', () => {
    const wide = JSON.stringify({ words: Array.from({ length: 500 }, (_, i) => ({ word: `w${i}`, start: i })) });
    expect(clean(wide).ok).toBe(true);
    expect(clean(JSON.stringify({ text: '{'.repeat(1000) })).ok).toBe(true);
  });

  it('cleans a body that is a bare string, and passes other scalars through', () => {
    expect(clean('"a\\u0000"')).toEqual({ ok: true, value: 'a' });
    expect(clean('1e400')).toEqual({ ok: true, value: Infinity });
    expect(clean('null')).toEqual({ ok: true, value: null });
  });
});

describe('form bodies', () => {
  it('cleans keys and values (repeated keys too) and returns the parsed form itself when nothing needed it', () => {
    const dirty = parseForm('Body=hi%00there&From=%2B1212&a%00=1&a=2&a=%00');
    expect({ ...cleanForm(dirty) }).toEqual({ Body: 'hithere', From: '+1212', a: ['2', ''] });
    expect(dirty.Body).toBe('hi\u0000there');
    const tidy = parseForm('Body=hello&From=%2B1212');
    expect(cleanForm(tidy)).toBe(tidy);
  });
});
