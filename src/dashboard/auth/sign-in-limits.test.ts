import { describe, expect, it } from 'vitest';
import { SIGN_IN_LIMITS, addressKey, decideAttempt, type LimitCounter, type LimitKind } from './sign-in-limits.js';

const T0 = new Date('2026-03-02T15:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;

/** Plays attempts through the rules the way the database would store them. */
function play(state: Partial<Record<LimitKind, LimitCounter>>, now: Date) {
  const decision = decideAttempt(state, now);
  Object.assign(state, decision.next);
  return decision;
}

describe('decideAttempt', () => {
  it('lets 5 failures of one account through, then locks it for 1, 2, 4 … minutes, at most an hour', () => {
    const state: Partial<Record<LimitKind, LimitCounter>> = {};
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const decision = play(state, T0);
      expect(decision).toMatchObject({ ok: true, locksAccountUntil: undefined });
    }
    expect(play(state, T0)).toMatchObject({ ok: true, locksAccountUntil: at(MINUTE) });
    expect(play(state, at(30_000))).toMatchObject({ ok: false, refusals: [{ limit: 'account', retryAfterMs: 30_000 }] });

    const locks: number[] = [];
    let now = at(MINUTE);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      state.address = undefined;
      state.global = undefined;
      const decision = play(state, now);
      if (!decision.ok) throw new Error('expected the attempt after a lock to be let through');
      locks.push((decision.locksAccountUntil!.getTime() - now.getTime()) / MINUTE);
      now = decision.locksAccountUntil!;
    }
    expect(locks).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("forgets an account's failures after a day without attempts", () => {
    const state: Partial<Record<LimitKind, LimitCounter>> = {};
    for (let attempt = 0; attempt < 4; attempt += 1) play(state, T0);
    state.address = undefined;
    state.global = undefined;
    const later = play(state, at(SIGN_IN_LIMITS.account.forgetAfterMs + 1));
    expect(later).toMatchObject({ ok: true, locksAccountUntil: undefined });
    expect(state.account!.attempts).toBe(1);
  });

  it('refuses an address after 20 attempts in 15 minutes, marks only the first refusal, and opens a new window after', () => {
    const state: Partial<Record<LimitKind, LimitCounter>> = {};
    for (let attempt = 0; attempt < 20; attempt += 1) {
      state.account = undefined;
      expect(play(state, T0).ok).toBe(true);
    }
    state.account = undefined;
    const first = play(state, at(MINUTE));
    expect(first).toMatchObject({ ok: false, refusals: [{ limit: 'address', first: true, retryAfterMs: 14 * MINUTE }] });
    const second = play(state, at(2 * MINUTE));
    expect(second).toMatchObject({ ok: false, refusals: [{ limit: 'address', first: false }] });
    expect(play(state, at(15 * MINUTE)).ok).toBe(true);
  });

  it('refuses everyone once 100 attempts hit the server in a minute, whatever their accounts and addresses', () => {
    const state: Partial<Record<LimitKind, LimitCounter>> = {};
    for (let attempt = 0; attempt < 100; attempt += 1) {
      state.account = undefined;
      state.address = undefined;
      expect(play(state, T0).ok).toBe(true);
    }
    state.account = undefined;
    state.address = undefined;
    expect(play(state, at(10_000))).toMatchObject({ ok: false, refusals: [{ limit: 'global', first: true, retryAfterMs: 50_000 }] });
    state.account = undefined;
    state.address = undefined;
    expect(play(state, at(MINUTE)).ok).toBe(true);
  });

  it('counts nothing for a refused attempt', () => {
    const state: Partial<Record<LimitKind, LimitCounter>> = {};
    for (let attempt = 0; attempt < 5; attempt += 1) play(state, T0);
    const before = { ...state.address! };
    const refused = decideAttempt(state, at(1000));
    expect(refused.ok).toBe(false);
    expect(refused.next).toEqual({});
    expect(state.address).toEqual(before);
  });
});

describe('addressKey', () => {
  it('keeps IPv4 as is and reads an IPv4-mapped IPv6 address as its IPv4', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('groups IPv6 addresses by their /64', () => {
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
