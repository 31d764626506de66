/**
 * A template being edited, rendered on sample data exactly as a real message would be (the same values and
 * renderer as `render.ts`, the same segment counter as the outbox), so the editor shows what a caller will read
 * and what a text will cost before anything is saved. A variable the template kind does not offer is listed and
 * left visible in the text, never an error: the editor is mid-typing.
 */
import { DateTime } from 'luxon';
import type { ClientConfig } from '../config/client-schema.js';
import {
  APPOINTMENT_TEMPLATE_KINDS,
  knownTemplateVariables,
  templateProblems,
  templateVariables,
  type TemplateChannel,
  type TemplateKind,
  type TemplateValues,
} from '../config/templates.js';
import { appointmentTypeWords, openSlotsText, renderEmail, renderSms, smsSafeValues, templateValues } from './render.js';
import { languageFromTag, officeLanguage } from '../i18n/language.js';
import type { Language } from '../i18n/phrases/index.js';
import { nonGsmCharacters, smsSegments } from './segments.js';

export const SAMPLE_CALLER_NAME = 'Jordan Rivera';

export interface TemplateDraft {
  channel: TemplateChannel;
  kind: TemplateKind;
  text: string;
  subject?: string;
  html?: string;
  /** The language the draft is written in ("es"): dates, times and fixed sentences follow it; the office's own by default. */
  language?: string;
}

export interface TemplatePreview {
  text: string;
  subject?: string;
  html?: string;
  /** SMS only (null for e-mail): carrier segments and the encoding that decides their size. */
  segments: number | null;
  encoding: 'GSM-7' | 'UCS-2' | null;
  /** Characters of the rendered text as a person counts them (an emoji is one). */
  characters: number;
  unknownVariables: string[];
  /** SMS only: the characters that switch the text to UCS-2 (70 per segment instead of 160). */
  nonGsmCharacters: string[];
  /** What saving this template would be refused for (unknown variables, unbalanced braces, no opt-out text). */
  problems: string[];
  /** The sample the text was rendered on. */
  sample: { callerName: string; appointmentType: string | null; appointmentAt: string | null; officeName: string };
}

/** 10:00 in the office's zone on the next Tuesday after today (a week ahead when today is Tuesday). */
export function sampleAppointmentStart(timezone: string, now: Date): Date {
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  const days = (2 - today.weekday + 7) % 7 || 7;
  return today.plus({ days }).set({ hour: 10 }).toJSDate();
}

/** "Tue 3/10 10:00 AM, Tue 3/10 2:00 PM": what a rebook text lists, from the sample appointment's day. */
function sampleOpenSlots(config: ClientConfig, startAt: Date, language: Language): string {
  return openSlotsText(config, [startAt, new Date(startAt.getTime() + 4 * 3_600_000)], language);
}

function isAppointmentKind(kind: TemplateKind): boolean {
  return (APPOINTMENT_TEMPLATE_KINDS as readonly string[]).includes(kind);
}

export function previewTemplate(config: ClientConfig, draft: TemplateDraft, options: { now: Date; unsubscribeLink: string }): TemplatePreview {
  const office = config;
  const language = languageFromTag(draft.language) ?? officeLanguage(config);
  const type = office.appointmentTypes[0]!;
  const startAt = sampleAppointmentStart(office.timezone, options.now);
  const appointment = isAppointmentKind(draft.kind)
    ? {
        startAt,
        appointmentTypeId: type.id,
        previousStartAt: DateTime.fromJSDate(startAt, { zone: office.timezone }).minus({ days: 1 }).set({ hour: 15 }).toJSDate(),
        staffName: office.staff?.people[0]?.name ?? null,
      }
    : undefined;
  const localized = templateValues(
    office,
    { name: SAMPLE_CALLER_NAME },
    appointment,
    {
      unsubscribeLink: options.unsubscribeLink,
      reviewLink: office.followUps.afterAppointment.reviewUrl ?? 'https://g.page/r/your-office/review',
      openSlots: sampleOpenSlots(office, startAt, language),
      bookingLink: office.followUps.missedCall.bookingUrl ?? 'https://example.com/book',
    },
    language,
  );
  // A text gets exactly the values a real one would (GSM-7-safe inserted words), so segments are true.
  const all = draft.channel === 'sms' ? smsSafeValues(localized, language) : localized;

  // Only what this kind and channel really offer; anything else renders as written, so the typo stays visible.
  const known = new Set(knownTemplateVariables(draft.kind, draft.channel));
  const parts = [draft.text, draft.subject ?? '', draft.html ?? ''];
  const used = [...new Set(parts.flatMap(templateVariables))];
  const unknownVariables = used.filter((name) => !known.has(name));
  const values: TemplateValues = Object.fromEntries(used.map((name) => [name, known.has(name) ? all[name] : `{{${name}}}`]));
  const problems = parts.filter(Boolean).flatMap((part) => templateProblems(draft.kind, draft.channel, part));
  const sample = {
    callerName: SAMPLE_CALLER_NAME,
    appointmentType: appointment ? appointmentTypeWords(office, type.id, language).name : null,
    appointmentAt: appointment ? DateTime.fromJSDate(startAt, { zone: office.timezone }).toISO() : null,
    officeName: office.name,
  };

  if (draft.channel === 'sms') {
    const rendered = renderSms(withTemplate(office, 'sms', draft), draft.kind, values);
    const text = rendered.ok ? rendered.body : draft.text;
    if (!rendered.ok) problems.push(rendered.error);
    const info = smsSegments(text);
    return {
      text,
      segments: info.segments,
      encoding: info.encoding,
      characters: [...text].length,
      unknownVariables,
      nonGsmCharacters: nonGsmCharacters(text),
      problems: [...new Set(problems)],
      sample,
    };
  }
  const rendered = renderEmail(withTemplate(office, 'email', draft), draft.kind, values);
  if (!rendered.ok) problems.push(rendered.error);
  const preview: TemplatePreview = {
    text: rendered.ok ? rendered.text : draft.text,
    segments: null,
    encoding: null,
    characters: 0,
    unknownVariables,
    nonGsmCharacters: [],
    problems: [...new Set(problems)],
    sample,
  };
  preview.characters = [...preview.text].length;
  if (draft.subject !== undefined) preview.subject = rendered.ok ? rendered.subject : draft.subject;
  if (draft.html !== undefined) preview.html = rendered.ok ? (rendered.html ?? '') : draft.html;
  return preview;
}

/** The office with the draft in place of its stored template, so the preview goes through the sending renderer. */
function withTemplate(office: ClientConfig, channel: TemplateChannel, draft: TemplateDraft): ClientConfig {
  if (channel === 'sms') return { ...office, templates: { ...office.templates, sms: { ...office.templates.sms, [draft.kind]: draft.text } } };
  const email = { subject: draft.subject ?? '', text: draft.text, ...(draft.html === undefined ? {} : { html: draft.html }) };
  return { ...office, templates: { ...office.templates, email: { ...office.templates.email, [draft.kind]: email } } };
}
