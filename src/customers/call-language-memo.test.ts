import { describe, expect, it } from 'vitest';
import { CallLanguageMemo } from './call-language-memo.js';

const SPANISH = { customerId: 7, language: 'es', source: 'caller' };
const NO_ROW = { customerId: null, language: null, source: null };

describe('CallLanguageMemo', () => {
  it('recalls what was remembered for the call and number, and nothing for another call or number', () => {
    const memo = new CallLanguageMemo();
    memo.remember('office', 'call_1', '+12125550100', SPANISH, memo.since());
    expect(memo.recall('office', 'call_1', '+12125550100')).toEqual(SPANISH);
    expect(memo.recall('office', 'call_2', '+12125550100')).toBeUndefined();
    expect(memo.recall('other-office', 'call_1', '+12125550100')).toBeUndefined();
    expect(memo.recall('office', 'call_1', '+12125550199')).toBeUndefined();
  });

  it('does not keep a read that started before something was forgotten', () => {
    const memo = new CallLanguageMemo();
    const since = memo.since();
    memo.forgetCustomer('office', 99);
    memo.remember('office', 'call_1', '+12125550100', SPANISH, since);
    expect(memo.recall('office', 'call_1', '+12125550100')).toBeUndefined();
  });

  it("forgets a customer's calls and the office's calls that found no row, and keeps the rest", () => {
    const memo = new CallLanguageMemo();
    memo.remember('office', 'call_1', '+12125550100', SPANISH, memo.since());
    memo.remember('office', 'call_2', '+12125550101', NO_ROW, memo.since());
    memo.remember('office', 'call_3', '+12125550102', { ...SPANISH, customerId: 8 }, memo.since());
    memo.remember('other-office', 'call_4', '+12125550103', NO_ROW, memo.since());
    memo.forgetCustomer('office', 7);
    expect(memo.recall('office', 'call_1', '+12125550100')).toBeUndefined();
    expect(memo.recall('office', 'call_2', '+12125550101')).toBeUndefined();
    expect(memo.recall('office', 'call_3', '+12125550102')).toEqual({ ...SPANISH, customerId: 8 });
    expect(memo.recall('other-office', 'call_4', '+12125550103')).toEqual(NO_ROW);
  });

  it('keeps at most maxEntries calls (the oldest goes) and nothing older than maxAgeMs', () => {
    let nowMs = 0;
    const memo = new CallLanguageMemo({ maxEntries: 2, maxAgeMs: 1_000, now: () => nowMs });
    memo.remember('office', 'call_1', '+12125550100', SPANISH, memo.since());
    memo.remember('office', 'call_2', '+12125550101', SPANISH, memo.since());
    memo.remember('office', 'call_3', '+12125550102', SPANISH, memo.since());
    expect(memo.recall('office', 'call_1', '+12125550100')).toBeUndefined();
    expect(memo.recall('office', 'call_2', '+12125550101')).toEqual(SPANISH);
    nowMs = 1_001;
    expect(memo.recall('office', 'call_3', '+12125550102')).toBeUndefined();
  });
});
