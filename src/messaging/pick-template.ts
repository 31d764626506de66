/**
 * THE lookup of the words a message is sent with: `pickTemplate(office, kind, channel, { language })`. A kind is
 * translated whole or not at all: when the caller's language has no translation of this kind and channel (or the
 * appointment type it names has no translated name or what-to-bring), the message goes out whole in the office's
 * default language, and `fallback` says so — never half-translated. Variants by caller intent (issue 17) belong here.
 */
import type { ClientConfig, EmailTemplate } from '../config/client-schema.js';
import { TEMPLATE_KINDS, templateVariables, type TemplateChannel, type TemplateKind } from '../config/templates.js';
import { officeLanguage } from '../i18n/language.js';
import { LANGUAGES, type Language } from '../i18n/phrases/index.js';

export interface PickOptions {
  /** The recipient's language; the office's default when unknown. */
  language?: Language;
  /** The appointment type the message names, whose translated name and what-to-bring the text needs. */
  appointmentTypeId?: string;
}

export interface PickedTemplate<T> {
  template: T;
  /** The language of `template` (and of the values to fill it with). */
  language: Language;
  /** The language asked for, when it had no (complete) translation and the default was used instead. */
  fallbackFrom?: Language;
}

type TemplateOf<C extends TemplateChannel> = C extends 'sms' ? string : EmailTemplate;

function baseTemplate<C extends TemplateChannel>(config: ClientConfig, kind: TemplateKind, channel: C): TemplateOf<C> | undefined {
  if (channel === 'sms') return config.templates.sms[kind] as TemplateOf<C>;
  return config.templates.email[kind] as TemplateOf<C> | undefined;
}

function translatedTemplate<C extends TemplateChannel>(config: ClientConfig, language: Language, kind: TemplateKind, channel: C): TemplateOf<C> | undefined {
  const translation = config.translations[language]?.templates;
  return (channel === 'sms' ? translation?.sms[kind] : translation?.email[kind]) as TemplateOf<C> | undefined;
}

function textsOf(template: string | EmailTemplate): string[] {
  return typeof template === 'string' ? [template] : [template.subject, template.text, template.html ?? ''];
}

/** What a translated template still lacks in `language` (appointment type words it uses), as sentences. */
export function missingTypeWords(config: ClientConfig, language: Language, template: string | EmailTemplate, appointmentTypeId: string): string[] {
  const used = new Set(textsOf(template).flatMap(templateVariables));
  const words = config.translations[language]?.appointmentTypes[appointmentTypeId];
  const missing: string[] = [];
  if (used.has('appointment_type') && !words?.name) missing.push(`appointment type "${appointmentTypeId}" name`);
  if (used.has('what_to_bring') && !words?.whatToBring) missing.push(`appointment type "${appointmentTypeId}" what to bring`);
  return missing;
}

export function pickTemplate<C extends TemplateChannel>(
  config: ClientConfig,
  kind: TemplateKind,
  channel: C,
  options: PickOptions = {},
): PickedTemplate<TemplateOf<C>> | undefined {
  const fallbackLanguage = officeLanguage(config);
  const wanted = options.language ?? fallbackLanguage;
  if (wanted !== fallbackLanguage) {
    const translated = translatedTemplate(config, wanted, kind, channel);
    const complete =
      translated !== undefined &&
      (options.appointmentTypeId === undefined || missingTypeWords(config, wanted, translated, options.appointmentTypeId).length === 0);
    if (translated && complete) return { template: translated, language: wanted };
  }
  const base = baseTemplate(config, kind, channel);
  if (base === undefined) return undefined;
  return wanted === fallbackLanguage ? { template: base, language: wanted } : { template: base, language: fallbackLanguage, fallbackFrom: wanted };
}

export interface MissingTranslation {
  language: Language;
  channel: TemplateChannel;
  kind: TemplateKind;
  /** What is missing: the whole template, or words it needs. */
  detail: string;
}

/**
 * Every translation an office lacks, for the languages it has started translating (and Spanish, which every shipped
 * office speaks): `switchboard doctor` and the template editor list them. Such a message is sent in the default language.
 */
export function missingTranslations(config: ClientConfig): MissingTranslation[] {
  const base = officeLanguage(config);
  const languages = LANGUAGES.filter((language) => language !== base && (language === 'es' || config.translations[language] !== undefined));
  const missing: MissingTranslation[] = [];
  for (const language of languages) {
    for (const channel of ['sms', 'email'] as const) {
      for (const kind of TEMPLATE_KINDS) {
        if (baseTemplate(config, kind, channel) === undefined) continue;
        const translated = translatedTemplate(config, language, kind, channel);
        if (!translated) {
          missing.push({ language, channel, kind, detail: 'not translated' });
          continue;
        }
        for (const type of config.appointmentTypes) {
          for (const words of missingTypeWords(config, language, translated, type.id)) missing.push({ language, channel, kind, detail: `needs the ${words}` });
        }
      }
    }
  }
  return missing;
}
