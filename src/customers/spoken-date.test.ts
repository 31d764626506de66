import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { phrasesFor } from '../i18n/phrases/index.js';
import { spokenDate } from './memory.js';

describe('spokenDate (remembered per zone, language and local date)', () => {
  it('words every hour of 2026 exactly as Luxon does, in English and Spanish, asked twice', () => {
    const zones = ['America/New_York', 'Europe/Madrid', 'Asia/Tokyo', 'Australia/Lord_Howe', 'UTC'];
    let checked = 0;
    for (const zone of zones) {
      for (const language of ['en', 'es'] as const) {
        const phrases = phrasesFor(language);
        for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3 * 60 * 60_000 + 7 * 60_000) {
          const expected = phrases.time.day(DateTime.fromMillis(ms, { zone }).setLocale(phrases.locale));
          expect(spokenDate(new Date(ms), zone, language)).toBe(expected);
          expect(spokenDate(new Date(ms), zone, language)).toBe(expected);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(20_000);
    expect(spokenDate(new Date('2026-11-01T04:30:00Z'), 'America/New_York', 'en')).toBe('Sunday, November 1');
    expect(spokenDate(new Date('2026-11-01T03:30:00Z'), 'America/New_York', 'en')).toBe('Saturday, October 31');
  });
});
