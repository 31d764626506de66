/**
 * Text helpers for the rules: a folded copy of a turn with the same length (lower case, accents dropped, so a
 * pattern written once matches "Cancelar" and "cancelár" and every index still points into the original), clause
 * bounds, and the three guards that keep a match from becoming a label: negation, hypotheticals and other people.
 */

/** Lower case without accents, one output character per input character (indices stay valid). */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  // Most turns are plain ASCII: nothing to fold beyond lower case. (Some characters change length when lower-cased,
  // e.g. "İ"; those are not ASCII, so they take the slow path, which keeps one character per input character.)
  // eslint-disable-next-line no-control-regex -- the range is all of ASCII, control characters included
  if (lower.length === text.length && !/[^\x00-\x7f]/.test(lower)) return lower;
  let folded = '';
  for (const char of text) {
    if (char.length > 1) {
      folded += '?'.repeat(char.length);
      continue;
    }
    const lowered = char.toLowerCase();
    const base = lowered.length === 1 ? (lowered.normalize('NFD')[0] ?? lowered) : char;
    folded += char === '’' ? "'" : base;
  }
  return folded;
}

/** Start of the clause containing `index`: after the last sentence end, semicolon or contrast word before it, not before `from`. */
export function clauseStart(folded: string, index: number, from = 0): number {
  const before = folded.slice(Math.max(from, index - 160), index);
  const boundary = /(?:[.!?;¿¡]+|\b(?:but|pero|anyway|aunque|although|so|then|entonces|asi que|por ahora|for now)\b)/g;
  let start = 0;
  for (let found = boundary.exec(before); found; found = boundary.exec(before)) start = found.index + found[0].length;
  return index - before.length + start;
}

const NEGATION =
  /\b(?:not|never|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|aren'?t|won'?t|wouldn'?t|can'?t|cannot|nothing|no|ni|nunca|tampoco|sin|nada|ningun|ninguna)\b/g;

/** A negation word among the five words before the match, in the same clause ("No," alone is an answer, not a negation). */
export function isNegated(folded: string, clause: number, index: number): boolean {
  const window = folded.slice(clause, index);
  const words = window.split(/\s+/).filter(Boolean);
  const near = words.slice(-5).join(' ');
  NEGATION.lastIndex = 0;
  for (let found = NEGATION.exec(near); found; found = NEGATION.exec(near)) {
    const after = near.slice(found.index + found[0].length);
    if (found[0] === 'no' && /^\s*,/.test(after)) continue;
    if (found[0] === 'no' && /^\s*(?:problem|problema|worries)\b/.test(after)) continue;
    return true;
  }
  return false;
}

/**
 * "If I had an IRS notice…", "si algún día necesito cancelar…": a condition or supposition opened before the match in
 * the same clause. An indirect question ("I was wondering if you…", "quería saber si…") is a real request, and "sí"
 * (yes) is told from "si" (if) by its accent in the original text.
 */
export function isHypothetical(original: string, folded: string, clause: number, index: number): boolean {
  const window = folded.slice(clause, index);
  const cue = /\b(?:if|what if|in case|suppose|supposing|hypothetically|si|en caso de|supongamos|por si|let'?s say|say i)\b/g;
  for (let found = cue.exec(window); found; found = cue.exec(window)) {
    const at = clause + found.index;
    const before = window.slice(0, found.index);
    if (/\b(?:wonder(?:ing)?|ask(?:ing)?|know|see|check|sure|confirm|tell me|saber|preguntar|ver|wondering)\s*$/.test(before)) continue;
    if (found[0] === 'si') {
      if (original[at] === 's' && original[at + 1] === 'í') continue;
      if (/^si\s*(?:[,.!]|$)/.test(folded.slice(at, at + 4))) continue;
    }
    return true;
  }
  return false;
}

const OTHER_PERSON =
  /\b(?:he|she|they|he'?s|she'?s|they'?re|ella|ellos|ellas|my (?:mother|mom|mum|dad|father|brother|sister|husband|wife|son|daughter|friend|neighbou?r|boss|coworker|grandma|grandpa|grandmother|grandfather|aunt|uncle|cousin|partner)|(?:mi|mis) (?:mama|madre|papa|padre|hermano|hermana|esposo|esposa|marido|hijo|hija|vecino|vecina|amigo|amiga|jefe|abuela|abuelo|tia|tio|primo|prima|pareja))\b/g;

/**
 * The clause is about someone else ("my brother is really worried", "mi vecina dice que son caros"): a third person
 * before the match and no first person between that mention and the end of the match.
 */
export function isAboutOthers(folded: string, clause: number, index: number, end: number): boolean {
  const window = folded.slice(clause, index);
  let last = -1;
  OTHER_PERSON.lastIndex = 0;
  for (let found = OTHER_PERSON.exec(window); found; found = OTHER_PERSON.exec(window)) last = found.index + found[0].length;
  if (last < 0) return false;
  const rest = folded.slice(clause + last, end);
  const family =
    /\b(?:my|mi|mis) (?:mother|mom|mum|dad|father|brother|sister|husband|wife|son|daughter|friend|neighbou?r|boss|coworker|mama|madre|papa|padre|hermano|hermana|esposo|esposa|marido|hijo|hija|vecino|vecina|amigo|amiga|jefe)\b/g;
  return !/\b(?:i|i'?m|i'?ve|i'?d|i'?ll|me|my|myself|yo|mi|mis|conmigo|ayudarme|ayudarnos)\b/.test(rest.replace(family, ' '));
}
