/**
 * English or Spanish, from the caller's words only: common words of each language counted over the caller's turns
 * (an inverted "¿" or "¡" counts for Spanish). A tie or no known word at all is `unknown`.
 */
import type { Evidence, Language } from './labels.js';

const SPANISH = new Set(
  'el la los las de del que y para por con mi mis es una un quiero necesito quisiera hola gracias bueno buenos buenas cita cuanto como esta estoy tengo puede pueden usted ustedes me lo le al muy pero perdon numero senor senora dias tardes ya ahora aqui donde cuando porque tambien hacer se su sus nada mas hoy manana semana ayuda favor habla espanol'.split(
    ' ',
  ),
);
const ENGLISH = new Set(
  "the i i'm i'd i'll i've you your to my is it and of for can do does what how need want please thanks thank hi hello hey yes yeah this that have with just sorry would like get it's don't we our be are was will at on in about".split(
    ' ',
  ),
);

export interface LanguageResult {
  language: Language | 'unknown';
  evidence: Evidence[];
}

export function detectLanguage(folded: string[], original: string[]): LanguageResult {
  let spanish = 0;
  let english = 0;
  const marks: Record<Language, Evidence[]> = { en: [], es: [] };
  folded.forEach((text, turn) => {
    for (const found of text.matchAll(/[¿¡]|[a-z]+(?:'[a-z]+)?/g)) {
      const word = found[0];
      const start = found.index;
      let language: Language | undefined;
      if (word === '¿' || word === '¡') {
        spanish += 2;
        language = 'es';
      } else if (SPANISH.has(word) && !ENGLISH.has(word)) {
        spanish += 1;
        language = 'es';
      } else if (ENGLISH.has(word)) {
        english += 1;
        language = 'en';
      }
      if (language && marks[language].length < 3 && original[turn] !== undefined) {
        marks[language].push({ label: 'language', value: language, turn, start, end: start + word.length, rule: `language.${language}.common_words` });
      }
    }
  });
  if (spanish === english) return { language: 'unknown', evidence: [] };
  const language: Language = spanish > english ? 'es' : 'en';
  return { language, evidence: marks[language] };
}
