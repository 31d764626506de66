/**
 * Turns a client's templates into the exact text a customer receives. Values come from the client config,
 * the customer and the appointment; times are shown in the office's zone (where the appointment is). A
 * template that needs a value we do not have is not sent with a hole in it: the row carries the error.
 */
import { DateTime } from 'luxon';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { TemplateVariant } from './template-variant.js';
import type { ClientConfig } from '../config/client-schema.js';
import { OPT_OUT_TEXT, escapeHtml, renderTemplate, type TemplateKind, type TemplateValues } from '../config/templates.js';

export interface AppointmentFacts {
  startAt: Date;
  appointmentTypeId: string;
  previousStartAt?: Date | null;
}

export interface RecipientFacts {
  name?: string | null;
}

export function formatOfficePhone(phoneE164: string): string {
  return parsePhoneNumberFromString(phoneE164)?.formatNational() ?? phoneE164;
}

function local(config: ClientConfig, at: Date): DateTime {
  return DateTime.fromJSDate(at, { zone: config.timezone }).setLocale(config.language === 'en' ? 'en-US' : config.language);
}

/** "Tuesday, February 3 at 2:30 PM", the way the agent says it. */
export function spokenTime(config: ClientConfig, at: Date): string {
  return local(config, at).toFormat("cccc, LLLL d 'at' h:mm a");
}

/** "Tue 2/3 2:30 PM", for texts. */
export function shortTime(config: ClientConfig, at: Date): string {
  return local(config, at).toFormat('ccc L/d h:mm a');
}

/** First word of the name, or "there" ("Hi there"): a missing name must not stop a confirmation. */
export function firstNameOf(name: string | null | undefined): string {
  const first = name?.trim().split(/\s+/)[0];
  return first ? first : 'there';
}

export function templateValues(
  config: ClientConfig,
  recipient: RecipientFacts,
  appointment: AppointmentFacts | undefined,
  extras: { unsubscribeLink?: string; reviewLink?: string; openSlots?: string; bookingLink?: string } = {},
): TemplateValues {
  const officePhone = formatOfficePhone(config.officePhone);
  const values: Record<string, string | undefined> = {
    first_name: firstNameOf(recipient.name),
    customer_name: recipient.name?.trim() || undefined,
    office_name: config.name,
    office_phone: officePhone,
    office_address: config.address,
    opt_out_text: OPT_OUT_TEXT,
    unsubscribe_link: extras.unsubscribeLink,
    review_link: extras.reviewLink,
    open_slots: extras.openSlots,
    booking_link: extras.bookingLink,
  };
  if (appointment) {
    const type = config.appointmentTypes.find((candidate) => candidate.id === appointment.appointmentTypeId);
    values.appointment_time_spoken = spokenTime(config, appointment.startAt);
    values.appointment_time_short = shortTime(config, appointment.startAt);
    values.appointment_date = local(config, appointment.startAt).toFormat('LLLL d, yyyy');
    values.appointment_type = type?.name ?? appointment.appointmentTypeId;
    values.what_to_bring = type?.whatToBring;
    values.reschedule_instructions = `To reschedule or cancel, call us at ${officePhone}.`;
    if (appointment.previousStartAt) values.previous_appointment_time_spoken = spokenTime(config, appointment.previousStartAt);
  }
  return values;
}

export type RenderedSms = { ok: true; body: string } | { ok: false; error: string };
export type RenderedEmail = { ok: true; subject: string; text: string; html?: string } | { ok: false; error: string };

/** `variant` (messaging/template-variant.ts) replaces the office's template text for this kind when it has one. */
export function renderSms(config: ClientConfig, kind: TemplateKind, values: TemplateValues, variant?: TemplateVariant): RenderedSms {
  const template = variant?.sms ?? config.templates.sms[kind];
  if (!template) return { ok: false, error: `The office has no text template "${kind}".` };
  try {
    return { ok: true, body: renderTemplate(template, values) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export function renderEmail(config: ClientConfig, kind: TemplateKind, values: TemplateValues, variant?: TemplateVariant): RenderedEmail {
  const template = variant?.email ?? config.templates.email[kind as keyof ClientConfig['templates']['email']];
  if (!template) return { ok: false, error: `The client has no e-mail template "${kind}".` };
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
  const paragraphs = text.trim().split(/\n{2,}/).map((paragraph) => {
    const escaped = escapeHtml(paragraph).replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
    return `<p>${escaped.replace(/\n/g, '<br>\n')}</p>`;
  });
  return `<!doctype html>\n<html><body>\n${paragraphs.join('\n')}\n</body></html>`;
}
