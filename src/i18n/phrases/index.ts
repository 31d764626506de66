/**
 * The languages Switchboard speaks: one phrase table each. Adding a language is a new file beside these (a
 * translation of `en.ts`) and one line here; templates in that language live in each office document
 * (`translations.<language>`), inbound keywords in config/sms-keywords.ts.
 */
import { en } from './en.js';
import { es } from './es.js';
import type { Phrases } from './types.js';

export const PHRASES = { en, es } as const satisfies Record<string, Phrases>;

export type Language = keyof typeof PHRASES;
export const LANGUAGES = Object.keys(PHRASES) as [Language, ...Language[]];

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && Object.hasOwn(PHRASES, value);
}

export function phrasesFor(language: Language | undefined): Phrases {
  return PHRASES[language ?? 'en'];
}

export type { Phrases, TimePhrases } from './types.js';
