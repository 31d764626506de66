/**
 * Which language a caller is answered in. The order, written down in docs/decisions.md ("Caller language"):
 *  1. the agent speaks only one language (its Retell `language` is one locale, e.g. `es-419`): that one;
 *  2. the caller's own words in this call, when the detector is sure;
 *  3. what the office remembers for the caller (`customers.preferred_language`: set by staff, said by the caller,
 *     or learned on an earlier call);
 *  4. the office's default language.
 * Messages after the call use 3 then 4: the caller's remembered language, else the office's.
 */
import type { ClientConfig } from '../config/client-schema.js';
import { isLanguage, LANGUAGES, type Language } from './phrases/index.js';

/** A language tag ("es-419", "es-ES", "en-US", "es") → a language we speak; `multi`, lists of several, others → undefined. */
export function languageFromTag(tag: string | readonly string[] | null | undefined): Language | undefined {
  if (Array.isArray(tag)) {
    const languages = new Set(tag.map((one) => languageFromTag(one)));
    return languages.size === 1 ? [...languages][0] : undefined;
  }
  if (typeof tag !== 'string') return undefined;
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLanguage(base) ? base : undefined;
}

const bare = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();

/**
 * A language as a person names it ("Spanish", "español", "es-MX") → a language we speak. Names come from Intl's
 * display names in English and in the language itself, so a new phrase table needs no list of names here.
 */
export function languageFromName(text: string | null | undefined): Language | undefined {
  if (!text) return undefined;
  const byTag = languageFromTag(text);
  if (byTag) return byTag;
  const wanted = bare(text);
  return LANGUAGES.find((language) =>
    [new Intl.DisplayNames(['en'], { type: 'language' }).of(language), new Intl.DisplayNames([language], { type: 'language' }).of(language)].some(
      (name) => name !== undefined && bare(name) === wanted,
    ),
  );
}

/** The office's default language (its `language` tag), English when it names one we do not speak. */
export function officeLanguage(config: Pick<ClientConfig, 'language'>): Language {
  return languageFromTag(config.language) ?? 'en';
}

/** The agent's language when it speaks only one (config `retell.agentLanguages`), else undefined. */
export function agentLanguage(config: Pick<ClientConfig, 'retell'>, agentId: string | undefined): Language | undefined {
  if (!agentId) return undefined;
  return languageFromTag(config.retell.agentLanguages[agentId]);
}

export type LanguageSource = 'agent' | 'words' | 'remembered' | 'office';

export interface CallLanguage {
  language: Language;
  source: LanguageSource;
}

/** The order above, as a pure function. */
export function chooseCallLanguage(input: { agent?: Language; words?: Language; remembered?: string | null; office: Language }): CallLanguage {
  if (input.agent) return { language: input.agent, source: 'agent' };
  if (input.words) return { language: input.words, source: 'words' };
  const remembered = languageFromTag(input.remembered);
  if (remembered) return { language: remembered, source: 'remembered' };
  return { language: input.office, source: 'office' };
}

/** For messages: the remembered language, else the office's. */
export function messageLanguage(config: Pick<ClientConfig, 'language'>, remembered: string | null | undefined): Language {
  return languageFromTag(remembered) ?? officeLanguage(config);
}

export { LANGUAGES, type Language };
