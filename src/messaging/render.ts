/**
 * Turns a client's templates into the exact text a customer receives. Values come from the client config,
 * the customer and the appointment; times are shown in the office's zone (where the appointment is). A
 * template that needs a value we do not have is not sent with a hole in it: the row carries the error.
 */
import { DateTime } from 'luxon';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { TemplateVariant } from './template-variant.js';
import type { ClientConfig, EmailTemplate } from '../config/client-schema.js';
import { escapeHtml, renderTemplate, type TemplateKind, type TemplateValues } from '../config/templates.js';
import { officeLanguage } from '../i18n/language.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { pickTemplate } from './pick-template.js';

export interface AppointmentFacts {
  startAt: Date;
  appointmentTypeId: string;
  previousStartAt?: Date | null;
  /** Who the appointment is with (an office with staff): `{{staff_name}}`. */
  staffName?: string | null;
}

export interface RecipientFacts {
  name?: string | null;
}

export function formatOfficePhone(phoneE164: string): string {
  return parsePhoneNumberFromString(phoneE164)?.formatNational() ?? phoneE164;
}

function local(config: ClientConfig, at: Date, language: Language): DateTime {
  return DateTime.fromJSDate(at, { zone: config.timezone }).setLocale(phrasesFor(language).locale);
}

/** "Tuesday, February 3 at 2:30 PM", the way the agent says it (in the office's default language unless told). */
export function spokenTime(config: ClientConfig, at: Date, language: Language = officeLanguage(config)): string {
  return phrasesFor(language).time.spoken(local(config, at, language), false);
}

/** "Tue 2/3 2:30 PM", for texts. */
export function shortTime(config: ClientConfig, at: Date, language: Language = officeLanguage(config)): string {
  return phrasesFor(language).time.short(local(config, at, language));
}

/** `{{open_slots}}`: the slots in the message's language ("mié 4/3 9:00, …"), or where to call when none are open. */
export function openSlotsText(config: ClientConfig, starts: Date[], language: Language = officeLanguage(config)): string {
  if (starts.length === 0) return phrasesFor(language).noOpenSlots(formatOfficePhone(config.officePhone));
  return starts.map((at) => shortTime(config, at, language)).join(', ');
}

/** First word of the name, or "there" ("Hi there"): a missing name must not stop a confirmation. */
export function firstNameOf(name: string | null | undefined, language: Language = 'en'): string {
  const first = name?.trim().split(/\s+/)[0];
  return first ? first : phrasesFor(language).unnamedCaller;
}

/** An appointment type's name and what to bring, in `language` when translated. */
export function appointmentTypeWords(config: ClientConfig, typeId: string, language: Language): { name: string; whatToBring: string | undefined } {
  const type = config.appointmentTypes.find((candidate) => candidate.id === typeId);
  const words = language === officeLanguage(config) ? undefined : config.translations[language]?.appointmentTypes[typeId];
  return { name: words?.name ?? type?.name ?? typeId, whatToBring: words?.whatToBring ?? type?.whatToBring };
}

/** The values of every template variable, in `language` (dates, times, fixed sentences, appointment type words). */
export function templateValues(
  config: ClientConfig,
  recipient: RecipientFacts,
  appointment: AppointmentFacts | undefined,
  extras: { unsubscribeLink?: string; reviewLink?: string; openSlots?: string; bookingLink?: string } = {},
  language: Language = officeLanguage(config),
): TemplateValues {
  const phrases = phrasesFor(language);
  const officePhone = formatOfficePhone(config.officePhone);
  const values: Record<string, string | undefined> = {
    first_name: firstNameOf(recipient.name, language),
    customer_name: recipient.name?.trim() || undefined,
    office_name: config.name,
    office_phone: officePhone,
    office_address: config.address,
    opt_out_text: phrases.optOutText,
    unsubscribe_link: extras.unsubscribeLink,
    review_link: extras.reviewLink,
    open_slots: extras.openSlots,
    booking_link: extras.bookingLink,
  };
  if (appointment) {
    const words = appointmentTypeWords(config, appointment.appointmentTypeId, language);
    values.appointment_time_spoken = spokenTime(config, appointment.startAt, language);
    values.appointment_time_short = shortTime(config, appointment.startAt, language);
    values.appointment_date = phrases.time.date(local(config, appointment.startAt, language));
    values.appointment_type = words.name;
    values.what_to_bring = words.whatToBring;
    values.reschedule_instructions = phrases.rescheduleInstructions(officePhone);
    if (appointment.staffName) values.staff_name = appointment.staffName;
    if (appointment.previousStartAt) values.previous_appointment_time_spoken = spokenTime(config, appointment.previousStartAt, language);
  }
  return values;
}

/** Values Switchboard (or the office's type words) inserts, as opposed to what a person is called. */
const SMS_SAFE_KEYS = new Set([
  'appointment_type',
  'what_to_bring',
  'appointment_time_spoken',
  'appointment_time_short',
  'appointment_date',
  'previous_appointment_time_spoken',
  'reschedule_instructions',
  'opt_out_text',
  'open_slots',
]);

/**
 * For a text: inserted words in the language's GSM-7-safe form (Spanish drops á/í/ó/ú, which would make the whole
 * text UCS-2, 70 characters a segment). Names are never changed; English is unchanged.
 */
export function smsSafeValues(values: TemplateValues, language: Language): TemplateValues {
  const safe = phrasesFor(language).smsSafe;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === 'string' && SMS_SAFE_KEYS.has(key) ? safe(value) : value]));
}

export type RenderedSms = { ok: true; body: string } | { ok: false; error: string };
export type RenderedEmail = { ok: true; subject: string; text: string; html?: string } | { ok: false; error: string };

export function renderSmsText(template: string, values: TemplateValues): RenderedSms {
  try {
    return { ok: true, body: renderTemplate(template, values) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export function renderEmailTemplate(template: EmailTemplate, values: TemplateValues): RenderedEmail {
  try {
    const rendered: RenderedEmail = {
      ok: true,
      subject: renderTemplate(template.subject, values),
      text: renderTemplate(template.text, values),
    };
    if (template.html) rendered.html = renderTemplate(template.html, values, { html: true });
    return rendered;
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/**
 * The HTML part for a plain text a person wrote (an edited e-mail): escaped, paragraphs at blank lines, line breaks
 * kept, and web addresses as links (the unsubscribe link must stay clickable).
 */
export function plainTextToHtml(text: string): string {
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => {
      const escaped = escapeHtml(paragraph).replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
      return `<p>${escaped.replace(/\n/g, '<br>\n')}</p>`;
    });
  return `<!doctype html>\n<html><body>\n${paragraphs.join('\n')}\n</body></html>`;
}

/**
 * The office's default-language template of `kind`, rendered; `variant` (messaging/template-variant.ts) replaces the
 * template text for this kind when it has one.
 */
export function renderSms(config: ClientConfig, kind: TemplateKind, values: TemplateValues, variant?: TemplateVariant): RenderedSms {
  const template = variant?.sms ?? config.templates.sms[kind];
  if (!template) return { ok: false, error: `The office has no text template "${kind}".` };
  return renderSmsText(template, values);
}

export function renderEmail(config: ClientConfig, kind: TemplateKind, values: TemplateValues, variant?: TemplateVariant): RenderedEmail {
  const template = variant?.email ?? config.templates.email[kind];
  if (!template) return { ok: false, error: `The client has no e-mail template "${kind}".` };
  return renderEmailTemplate(template, values);
}

export interface LocalizeOptions {
  language?: Language;
  appointmentTypeId?: string;
  values: (language: Language) => TemplateValues;
  /**
   * A variant chosen by the call's insight (issue 17). Variants are written in the office's default language, so one
   * is used only when the message goes out in that language; a caller served in another language gets its translation.
   */
  variant?: TemplateVariant;
}

export type LocalizedSms = RenderedSms & { language: Language; fallbackFrom?: Language };
export type LocalizedEmail = RenderedEmail & { language: Language; fallbackFrom?: Language };

/**
 * A message in the recipient's language: the template picked by `pickTemplate`, filled with values in the language
 * of that template (so a fallback to the default language is whole, dates included).
 */
export function renderLocalized(config: ClientConfig, kind: TemplateKind, channel: 'sms', options: LocalizeOptions): LocalizedSms;
export function renderLocalized(config: ClientConfig, kind: TemplateKind, channel: 'email', options: LocalizeOptions): LocalizedEmail;
export function renderLocalized(config: ClientConfig, kind: TemplateKind, channel: 'sms' | 'email', options: LocalizeOptions): LocalizedSms | LocalizedEmail {
  const picked = pickTemplate(config, kind, channel, { language: options.language, appointmentTypeId: options.appointmentTypeId });
  const language = picked?.language ?? officeLanguage(config);
  const meta = { language, ...(picked?.fallbackFrom ? { fallbackFrom: picked.fallbackFrom } : {}) };
  if (!picked) return { ok: false, error: `The client has no ${channel === 'sms' ? 'text' : 'e-mail'} template "${kind}".`, ...meta };
  const values = options.values(language);
  const variantText = language === officeLanguage(config) ? (channel === 'sms' ? options.variant?.sms : options.variant?.email) : undefined;
  const template = variantText ?? picked.template;
  const rendered = typeof template === 'string' ? renderSmsText(template, values) : renderEmailTemplate(template, values);
  return { ...rendered, ...meta };
}
