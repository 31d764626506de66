/**
 * The words people text to stop, restart or ask for help, in English and Spanish, and the office's `sms` config
 * block: extra words and its own replies per language. The built-in opt-out words cannot be removed by an office:
 * the FCC's revocation rule (reference/messaging.md §4) lets a consumer revoke by any reasonable means, so an office
 * may only widen the list. How a text is matched against these words is in messaging/keywords.ts.
 */
import { z } from 'zod';
import { hasUnbalancedBraces, templateVariables } from './templates.js';

export const SMS_LANGUAGES = ['en', 'es'] as const;
export type SmsLanguage = (typeof SMS_LANGUAGES)[number];
export const KEYWORD_INTENTS = ['optOut', 'optIn', 'help'] as const;
export type KeywordIntent = (typeof KEYWORD_INTENTS)[number];
export type KeywordLists = Record<KeywordIntent, Record<SmsLanguage, readonly string[]>>;

/**
 * Upper case, accents and apostrophes dropped, anything that is not a letter or a digit (punctuation, emoji,
 * symbols) turned into one space: "¡Álto! 🛑" → "ALTO", "No más" → "NO MAS", "don't" → "DONT".
 */
export function normalizeKeywordText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/['’‘`´]/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * English: Twilio's default keywords (its own opt-out list blocks the sender on these). Spanish: the words US
 * carriers and CTIA-style programs use (ALTO, PARAR, PARE, CANCELAR, DETENER, BAJA, NO MÁS) and close synonyms.
 * Written without accents: matching drops them ("SÍ" and "SI" are the same word).
 */
export const BUILT_IN_KEYWORDS: KeywordLists = {
  optOut: {
    en: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT'],
    es: ['ALTO', 'PARAR', 'PARE', 'PARA', 'CANCELAR', 'DETENER', 'BAJA', 'NO MAS', 'BASTA', 'DESUSCRIBIR', 'DESUSCRIBIRME', 'DAR DE BAJA', 'DARME DE BAJA'],
  },
  optIn: {
    en: ['START', 'UNSTOP'],
    es: ['ALTA', 'COMENZAR', 'EMPEZAR', 'INICIAR', 'REANUDAR', 'SI', 'DAR DE ALTA', 'DARME DE ALTA'],
  },
  help: {
    en: ['HELP', 'INFO'],
    es: ['AYUDA', 'INFO', 'INFORMACION'],
  },
};

/** Variables a keyword reply may use: it goes to whoever texted, who may not be a known customer. */
export const REPLY_VARIABLES = ['office_name', 'office_phone', 'office_email', 'office_address'] as const;

/**
 * Replies when the office sets none. The English opt-out reply is the office's `opt_out_confirmation` template.
 * Spanish is written without á/í/ó/ú (outside GSM-7, which would make every reply a UCS-2 text of 70 characters a
 * segment); ¿ and ñ are GSM-7.
 */
export const DEFAULT_REPLIES = {
  en: {
    optIn: "{{office_name}}: You're subscribed to our texts again. Reply HELP for help, STOP to opt out.",
    help: '{{office_name}}: For help call {{office_phone}} or e-mail {{office_email}}. Reply STOP to opt out.',
  },
  es: {
    optOut: '{{office_name}}: Listo, ya no le enviaremos mensajes de texto. Para volver a recibirlos responda ALTA. ¿Preguntas? Llame al {{office_phone}}.',
    optIn: '{{office_name}}: Listo, volvera a recibir nuestros mensajes de texto. Responda AYUDA para ayuda o ALTO para no recibir mas.',
    help: '{{office_name}}: Para ayuda llame al {{office_phone}} o escriba a {{office_email}}. Responda ALTO para no recibir mas mensajes.',
  },
} as const;

const keyword = z
  .string()
  .max(40)
  .refine((word) => normalizeKeywordText(word) !== '', 'must contain a letter or digit');
const keywordList = z.array(keyword).max(50).default([]);
const perLanguage = z.strictObject({ en: keywordList, es: keywordList }).prefault({});

const replyText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(320, 'must be at most 320 characters (two segments)')
  .superRefine((text, ctx) => {
    const unknown = templateVariables(text).filter((name) => !(REPLY_VARIABLES as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown variable ${unknown.map((name) => `{{${name}}}`).join(', ')}; a keyword reply may use ${REPLY_VARIABLES.join(', ')}`,
      });
    }
    if (hasUnbalancedBraces(text))
      ctx.addIssue({
        code: 'custom',
        message: 'has unbalanced braces; write variables as {{name}}',
      });
  });

export const smsConfigSchema = z
  .strictObject({
    /** Words added to the built-in ones (never replacing them), per intent and language. */
    keywords: z
      .strictObject({
        optOut: perLanguage,
        optIn: perLanguage,
        help: perLanguage,
      })
      .prefault({}),
    /** The office's own replies; English opt-out is `templates.sms.opt_out_confirmation`. */
    replies: z
      .strictObject({
        en: z
          .strictObject({
            optIn: replyText.optional(),
            help: replyText.optional(),
          })
          .prefault({}),
        es: z
          .strictObject({
            optOut: replyText.optional(),
            optIn: replyText.optional(),
            help: replyText.optional(),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((sms, ctx) => {
    // One word, one meaning: "SI" both opting in and asking for help would make the reply a guess.
    const owner = new Map<string, KeywordIntent>();
    for (const intent of KEYWORD_INTENTS) {
      for (const language of SMS_LANGUAGES) for (const word of BUILT_IN_KEYWORDS[intent][language]) owner.set(word, intent);
    }
    for (const intent of KEYWORD_INTENTS) {
      for (const language of SMS_LANGUAGES) {
        sms.keywords[intent][language].forEach((word, index) => {
          const normalized = normalizeKeywordText(word);
          const other = owner.get(normalized);
          if (other && other !== intent) {
            ctx.addIssue({
              code: 'custom',
              path: ['keywords', intent, language, index],
              message: `"${word}" is already a ${other} word`,
            });
          }
          owner.set(normalized, other ?? intent);
        });
      }
    }
  });
export type SmsConfig = z.infer<typeof smsConfigSchema>;
