/**
 * A small deterministic guess at whether a caller speaks English or Spanish, from their own words: counts of
 * common function words that belong to only one of the two languages (words both share — "no", "me", "a",
 * "come", "sin" … — count for neither), plus Spanish-only letters (ñ, ¿, ¡, accented vowels). It answers only when
 * one side clearly leads; a short or mixed text stays undefined, and the caller keeps whatever language was known.
 */

const SPANISH = new Set(
  `el la los las un una unos unas del al de que y en por para con es son está estoy estás están soy eres ser
   quiero quisiera necesito tengo tiene puedo puede podría hacer hola buenos buenas días tardes noches gracias
   sí cita citas hora mañana tarde noche semana lunes martes miércoles jueves viernes sábado domingo mi mis su
   sus yo usted ustedes nosotros pero también cuando dónde donde qué cómo cuál porque muy bien favor llamo
   nombre hablo habla español impuestos declaración ayuda ahora hoy ayer le lo nos ya más menos este esta eso esa
   llamar llamada teléfono correo`.split(/\s+/),
);

const ENGLISH = new Set(
  `the and to of is are am was were be i i'm it's you your my we our they this that what when where which how
   hi hello thanks thank yes please would like want need have has can could book appointment today tomorrow
   morning afternoon evening week monday tuesday wednesday thursday friday saturday sunday with for from at on
   about just call calling name speak english taxes tax return help now but also very good there here it`.split(/\s+/),
);

const SPANISH_LETTERS = /[ñ¿¡áíóú]/giu;

/** 'es' or 'en' when the words clearly say so, else undefined. */
export function detectLanguage(texts: string[]): 'en' | 'es' | undefined {
  let spanish = 0;
  let english = 0;
  for (const text of texts) {
    const lower = text.toLowerCase();
    spanish += (lower.match(SPANISH_LETTERS) ?? []).length;
    for (const word of lower.split(/[^\p{L}']+/u)) {
      if (!word) continue;
      const bare = word.replace(/^'+|'+$/g, '');
      if (SPANISH.has(bare)) spanish += 1;
      if (ENGLISH.has(bare)) english += 1;
    }
  }
  const total = spanish + english;
  if (total < 3) return undefined;
  if (spanish >= 3 && spanish >= 2 * english) return 'es';
  if (english >= 3 && english >= 2 * spanish) return 'en';
  return undefined;
}

/** The caller's lines of a Retell plain-text transcript ("User: …"). */
export function callerLines(transcript: string | undefined): string[] {
  if (!transcript) return [];
  return transcript
    .split('\n')
    .filter((line) => line.startsWith('User:'))
    .map((line) => line.slice('User:'.length).trim());
}
