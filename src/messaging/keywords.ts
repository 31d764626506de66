/**
 * What an inbound text asks for, and in which language. The rule (docs/decisions.md "Inbound keywords"):
 *
 * 1. Keyword: the whole text, after dropping case, accents, punctuation and emoji, is one of the office's words
 *    (built-in + its own, config/sms-keywords.ts). "STOP", " stop. ", "¡ALTO!", "No más", "Sí 👍".
 * 2. Opt-out with extra words: the text, or one of its clauses (split at , . ; : ! ?), is made only of opt-out
 *    words once politeness fillers ("please", "now", "hi", "por favor", "ya", …) are removed: "Stop please",
 *    "ALTO POR FAVOR", "stop stop", "STOP, I'm not interested", "I filed elsewhere. STOP" (as one clause among
 *    others, words that are also everyday words do not count: "Cancel, I'll call to reschedule"). Only
 *    opt-out gets this leniency (a revocation must be honoured whatever its form); opting in and HELP must be
 *    the whole text, so "Sí, a las 3" answering a question never re-subscribes anyone.
 * 3. Plain-language revocation: a verb about messages with its object ("stop texting me", "no more texts",
 *    "deja de enviarme mensajes", "no me manden más") anywhere in the text, unless a negation comes right before
 *    it in the same clause ("please don't stop texting me", "no dejen de enviarme recordatorios").
 *
 * Everything else is a message for staff: "I'll stop by at 3", "el precio es alto", "Baja California",
 * "cancelar mi cita". The language of the matched word or phrase decides the reply's language; a word in both
 * lists (INFO) takes the office's language.
 */
import type { ClientConfig } from '../config/client-schema.js';
import { BUILT_IN_KEYWORDS, KEYWORD_INTENTS, SMS_LANGUAGES, normalizeKeywordText, type KeywordIntent, type SmsLanguage } from '../config/sms-keywords.js';

export type InboundIntent = 'stop' | 'start' | 'help' | 'revocation' | 'message';

export interface InboundClassification {
  intent: InboundIntent;
  /** The language the answer is written in: the matched word's, else the office's. */
  language: SmsLanguage;
}

const INTENT_OF: Record<KeywordIntent, InboundIntent> = {
  optOut: 'stop',
  optIn: 'start',
  help: 'help',
};

/** Politeness and filler around an opt-out word; never words that could carry another meaning alone. */
const FILLERS =
  /\b(PLEASE|PLEASEE|PLS|PLZ|NOW|IT|HI|HEY|HELLO|SORRY|THANKS|THANK YOU|THX|TY|OK|OKAY|JUST|ALREADY|RIGHT NOW|HOLA|BUENAS|POR FAVOR|PORFAVOR|PORFA|XFAVOR|XFA|GRACIAS|YA|AHORA|AHORA MISMO|YA MISMO)\b/g;

const MESSAGES_EN = '(?:TEXTS?|TEXT MESSAGES?|TXTS?|MESSAGES?|MSGS?|SMS|REMINDERS?|NOTIFICATIONS?|ALERTS?|PROMOTIONS?|ADS)';
const MESSAGES_ES = '(?:MENSAJES?|MENSAJITOS?|TEXTOS?|MSJS?|SMS|RECORDATORIOS?|NOTIFICACIONES?|AVISOS?|PROMOCIONES?|ANUNCIOS?)';
const DETERMINER_EN = '(?:(?:THE|THESE|THIS|THOSE|YOUR|ALL|ALL THE|ALL THESE|ALL YOUR|ANY|ANY MORE|ANYMORE|MORE) )?';
const DETERMINER_ES = '(?:(?:LOS|LAS|ESTOS|ESTAS|ESOS|SUS|MIS|TODOS LOS|TANTOS|MAS) )?';

interface RevocationPhrase {
  language: SmsLanguage;
  pattern: RegExp;
}

const phrase = (language: SmsLanguage, source: string): RevocationPhrase => ({
  language,
  pattern: new RegExp(`\\b(?:${source})\\b`, 'g'),
});

const REVOCATION_PHRASES: RevocationPhrase[] = [
  phrase('en', '(?:STOP|QUIT) (?:TEXTING|TXTING|MESSAGING|CALLING|CONTACTING|SPAMMING|BOTHERING|HARASSING|BUGGING)'),
  phrase('en', `(?:STOP|QUIT|CANCEL|END) (?:SENDING )?(?:ME |US )?${DETERMINER_EN}${MESSAGES_EN}`),
  phrase('en', '(?:STOP|QUIT) (?:SENDING|CONTACTING) (?:ME|US|THIS NUMBER)'),
  phrase('en', `(?:DONT|DO NOT|NEVER) (?:EVER )?(?:TEXT|TXT|MESSAGE|CONTACT|SMS) (?:ME|US|THIS NUMBER|ANYMORE|AGAIN)`),
  phrase('en', `(?:DONT|DO NOT|NEVER) (?:EVER )?SEND (?:ME |US )?${DETERMINER_EN}${MESSAGES_EN}`),
  phrase('en', `(?:DONT|DO NOT) WANT (?:TO (?:RECEIVE|GET) )?${DETERMINER_EN}${MESSAGES_EN}`),
  phrase('en', `NO MORE ${MESSAGES_EN}`),
  phrase('en', 'UNSUBSCRIBE|OPT (?:ME )?OUT|OPTOUT'),
  phrase(
    'en',
    '(?:REMOVE|TAKE) (?:ME|MY NUMBER|THIS NUMBER) (?:OFF|FROM)(?: (?:YOUR|THE|THIS|YALL|YOU ALL))? (?:LIST|LISTS|TEXT LIST|MAILING LIST|CONTACTS|CONTACT LIST)',
  ),
  phrase('en', '(?:REMOVE (?:ME|MY NUMBER|THIS NUMBER)|TAKE (?:ME|MY NUMBER|THIS NUMBER) OFF)(?: (?:PLEASE|PLS|PLZ|NOW|THANKS|THANK YOU))*$'),
  phrase('en', 'LEAVE ME ALONE'),
  phrase('es', '(?:DEJA|DEJE|DEJEN|DEJES|DEJAR|PARA|PARE|PAREN|PARAR) DE (?:ENVIAR|MANDAR|ESCRIBIR|TEXTEAR|CONTACTAR|LLAMAR|MOLESTAR)(?:ME|NOS|LE)?'),
  phrase(
    'es',
    `NO (?:ME |NOS )?(?:ENVIEN|ENVIE|ENVIES|MANDEN|MANDE|MANDES|ESCRIBAN|ESCRIBA|ESCRIBAS|TEXTEEN|CONTACTEN)(?: MAS| ${DETERMINER_ES}${MESSAGES_ES}|$)`,
  ),
  phrase('es', `NO (?:QUIERO|DESEO|QUEREMOS) (?:RECIBIR )?${DETERMINER_ES}(?:MAS )?${MESSAGES_ES}`),
  phrase('es', `NO MAS ${MESSAGES_ES}`),
  phrase('es', `(?:PARA|PARE|PAREN|PARAR|DETENER|DETENGA|DETENGAN|CANCELAR|CANCELEN|CANCELE|BASTA DE|BASTA CON) ${DETERMINER_ES}${MESSAGES_ES}`),
  phrase('es', '(?:CANCELAR|CANCELEN|CANCELE|ANULAR) (?:MI |LA |SU )?SUSCRIPCION'),
  phrase('es', '(?:DAR|DARME|DARNOS|DENME|DEME|DOY) DE BAJA|DESUSCRIBIR(?:ME|SE)?|DESUSCRIBANME|DESUSCRIBAME'),
  phrase(
    'es',
    `(?:SACAR|SACARME|SAQUENME|SAQUEME|QUITAR|QUITARME|QUITENME|QUITEME|BORRAR|BORRARME|BORRENME|BORREME|ELIMINAR|ELIMINARME|ELIMINENME|ELIMINEME) DE (?:LA |SU |SUS |ESTA |LAS )?(?:LISTA|LISTAS|${MESSAGES_ES})`,
  ),
];

/**
 * A negation right before the phrase, in the same clause: "please don't stop texting me", "I don't want to
 * unsubscribe" ("why don't you stop texting me" is still a revocation). Kept this narrow on purpose: "I don't know
 * how to unsubscribe" asks to stop, and a missed revocation costs more than a mistaken one (START undoes it).
 */
const NEGATED_EN = /(?:^|\s)(?<!WHY )(?:DONT|DO NOT|NEVER)(?: EVER)?(?: WANT(?: YOU)? TO)?\s*$/;
/** "no dejen de enviarme", "no quiero darme de baja"; a phrase that starts with NO ("no me manden") is never negated. */
const NEGATED_ES = /(?:^|\s)(?:NO|NUNCA|JAMAS)(?: (?:QUIERO|QUIERE|QUEREMOS|DESEO)(?: QUE)?)?\s*$/;

function isNegated(language: SmsLanguage, before: string, matched: string): boolean {
  if (language === 'en') return NEGATED_EN.test(before);
  return !matched.startsWith('NO ') && NEGATED_ES.test(before);
}

/** Clauses split at sentence punctuation, so "No, dejen de enviarme mensajes" is not read as "no dejen de…". */
const CLAUSE_BREAK = /[,.;:!?¡¿\n\r]+/;

type CompiledKeywords = Map<string, Array<{ intent: KeywordIntent; language: SmsLanguage }>>;
const compiled = new WeakMap<object, CompiledKeywords>();

/** Built-in plus office words, each normalized, to the intents/languages it stands for. */
function keywordsOf(config?: Pick<ClientConfig, 'sms'>): CompiledKeywords {
  const cached = config && compiled.get(config.sms);
  if (cached) return cached;
  const table: CompiledKeywords = new Map();
  for (const intent of KEYWORD_INTENTS) {
    for (const language of SMS_LANGUAGES) {
      for (const word of [...BUILT_IN_KEYWORDS[intent][language], ...(config?.sms.keywords[intent][language] ?? [])]) {
        const key = normalizeKeywordText(word);
        const entries = table.get(key) ?? [];
        if (!entries.some((entry) => entry.intent === intent && entry.language === language)) entries.push({ intent, language });
        table.set(key, entries);
      }
    }
  }
  if (config) compiled.set(config.sms, table);
  return table;
}

/** The office's default reply language: "es-US" → es; anything we have no replies in → en. */
export function officeLanguage(config?: Pick<ClientConfig, 'language'>): SmsLanguage {
  const base = (config?.language ?? 'en').slice(0, 2).toLowerCase();
  return (SMS_LANGUAGES as readonly string[]).includes(base) ? (base as SmsLanguage) : 'en';
}

function pick(entries: Array<{ intent: KeywordIntent; language: SmsLanguage }>, preferred: SmsLanguage) {
  return entries.find((entry) => entry.language === preferred) ?? entries[0];
}

/**
 * Opt-out words that are everyday words too: as the whole text (or with fillers) they opt out, as one clause of a
 * longer text they do not ("Cancel, I'll call to reschedule", "Vivo en Tijuana, Baja").
 */
const EVERYDAY_WORDS = new Set(['CANCEL', 'END', 'CANCELAR', 'PARA', 'BAJA']);

/** Whether `text` is one or more opt-out words and nothing else; returns the first word's language. */
function onlyOptOutWords(text: string, table: CompiledKeywords, preferred: SmsLanguage, inClause: boolean): SmsLanguage | undefined {
  const tokens = text.split(' ').filter(Boolean);
  let first: SmsLanguage | undefined;
  let index = 0;
  while (index < tokens.length) {
    // Longest opt-out word starting here ("NO MAS", "DAR DE BAJA" before "BAJA").
    let matched = 0;
    for (let end = tokens.length; end > index && matched === 0; end -= 1) {
      const words = tokens.slice(index, end).join(' ');
      const entry = table.get(words)?.filter((candidate) => candidate.intent === 'optOut');
      if (entry && entry.length > 0 && !(inClause && EVERYDAY_WORDS.has(words))) {
        matched = end - index;
        first ??= pick(entry, preferred)!.language;
      }
    }
    if (matched === 0) return undefined;
    index += matched;
  }
  return first;
}

export function classifyInbound(body: string, config?: Pick<ClientConfig, 'sms' | 'language'>): InboundClassification {
  const preferred = officeLanguage(config);
  const table = keywordsOf(config);
  const text = normalizeKeywordText(body);

  const exact = table.get(text);
  if (exact && exact.length > 0) {
    const entry = pick(exact, preferred)!;
    return { intent: INTENT_OF[entry.intent], language: entry.language };
  }

  // Rules 2 and 3 per clause: "I filed elsewhere. STOP" and "STOP, I'm not interested" are revocations too.
  const clauses = body.split(CLAUSE_BREAK).map(normalizeKeywordText).filter(Boolean);
  const withoutFillers = (clause: string) => clause.replace(FILLERS, ' ').replace(/\s+/g, ' ').trim();
  const language =
    onlyOptOutWords(withoutFillers(text), table, preferred, false) ??
    clauses.map((clause) => onlyOptOutWords(withoutFillers(clause), table, preferred, true)).find(Boolean);
  if (language) return { intent: 'revocation', language };
  for (const clause of clauses) {
    for (const { language, pattern } of REVOCATION_PHRASES) {
      for (const match of clause.matchAll(pattern)) {
        if (!isNegated(language, clause.slice(0, match.index), match[0])) return { intent: 'revocation', language };
      }
    }
  }
  return { intent: 'message', language: preferred };
}
