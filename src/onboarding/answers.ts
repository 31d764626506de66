/**
 * What a person answers in each onboarding step, as zod schemas (the dashboard wizard and `switchboard client
 * add --answers` send the same shapes), and the office document that follows from the answers so far. The
 * document is a pure function of the answers, so re-running a step saves a new version only if something
 * changed, and never a duplicate.
 */
import { z } from 'zod';
import { CALENDAR_PROVIDERS, CRM_PROVIDERS, type ClientConfigInput } from '../config/client-schema.js';
import { HOURS_PRESET_IDS, applyPack, type HoursPresetId } from '../offices/packs.js';

const phone = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{7,14}$/, 'must be a phone number in E.164 form, e.g. +12125550123');
/** Keys and tokens go into HTTP headers, which take no character beyond Latin-1: refuse others here, not at the vendor. */
const credential = z
  .string()
  .trim()
  .regex(/^[\x21-\x7e]*$/, 'must be the key exactly as the vendor shows it (letters, digits and symbols, no spaces)');

export const basicsAnswers = z.object({
  name: z.string().trim().min(1, 'is required').max(120),
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by "-", e.g. "oath-legal"'),
  address: z.string().trim().min(5, 'is required (a postal address: it goes into marketing e-mail)').max(300),
  officePhone: phone,
  officeEmail: z.email('must be an e-mail address'),
  adminEmails: z.array(z.email('must be an e-mail address')).max(10).optional(),
  /** Default: proposed from the address or the area code. */
  timezone: z.string().optional(),
  hoursPreset: z.enum(HOURS_PRESET_IDS as [HoursPresetId, ...HoursPresetId[]]).optional(),
  businessHours: z.record(z.string(), z.unknown()).optional(),
  language: z.string().optional(),
});

export const packAnswers = z.object({
  pack: z.string().trim().min(1, 'choose a template pack'),
  /** Edited templates over the pack's (same shape as an office's `templates`). */
  templates: z.object({ sms: z.record(z.string(), z.unknown()).optional(), email: z.record(z.string(), z.unknown()).optional() }).optional(),
});

/**
 * The office's calendar provider and CRM (chosen independently), then the calendar booking writes to. Without a
 * `calendarId` the step only saves the choice, so the office can connect that provider before picking a calendar.
 */
export const calendarAnswers = z.object({
  provider: z.enum(CALENDAR_PROVIDERS, { error: `must be one of ${CALENDAR_PROVIDERS.join(', ')}` }).default('zoho'),
  crmProvider: z.enum(CRM_PROVIDERS, { error: `must be one of ${CRM_PROVIDERS.join(', ')}` }).optional(),
  calendarId: z.string().trim().min(1, 'choose a calendar').max(200).optional(),
});

export const textingAnswers = z.object({
  accountSid: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID ("AC" + 32 hex digits)')
    .optional(),
  authToken: credential.min(16, 'is too short for a Twilio auth token').max(200).optional(),
  phoneNumber: phone.optional(),
  /** The installer's phone, for a test text. */
  testTo: phone.optional(),
});

export const emailAnswers = z.object({
  smtpUrl: z
    .string()
    .trim()
    .regex(/^smtps?:\/\/[^/\s]+/, 'must be an SMTP URL (smtp://user:pass@host:587 or smtps://…)')
    .optional(),
  from: z.string().trim().min(3).max(200).optional(),
  testTo: z.email('must be an e-mail address').optional(),
});

export const alertsAnswers = z.object({
  slackWebhookUrl: z
    .string()
    .trim()
    .regex(/^https:\/\/\S+$/, 'must be an https:// Slack incoming-webhook URL')
    .optional(),
  test: z.boolean().default(true),
});

export const retellAnswers = z.object({
  apiKey: credential.min(8).max(200).optional(),
  /** The agent that answers the office's number; demo mode makes one when none is given. */
  agentId: z
    .string()
    .trim()
    .regex(/^agent_[A-Za-z0-9_]+$/, 'must be a Retell agent id ("agent_…")')
    .optional(),
});

export type BasicsAnswers = z.infer<typeof basicsAnswers>;

export interface OnboardingAnswers {
  basics?: BasicsAnswers & { timezone: string };
  pack?: z.infer<typeof packAnswers>;
  calendar?: z.infer<typeof calendarAnswers>;
  texting?: { phoneNumber?: string };
  email?: { from?: string };
  retell?: { agentId?: string };
}

/** The calendar and CRM parts of the office document: the provider choices and the chosen calendar in its block. */
function calendarDocument(slug: string, calendar: z.infer<typeof calendarAnswers> | undefined): Partial<ClientConfigInput> {
  const provider = calendar?.provider ?? 'zoho';
  const crmProvider = calendar?.crmProvider;
  const calendarId = calendar?.calendarId;
  const document: Partial<ClientConfigInput> = {};
  // The first documents had no choice (Zoho for both): keep them byte-for-byte the same.
  if (provider !== 'zoho') document.calendar = { provider };
  if (crmProvider) document.crm = { provider: crmProvider };
  // Zoho's block also carries Zoho CRM's settings, so an office with Zoho CRM keeps one even when it books elsewhere.
  if (provider === 'zoho' || (crmProvider ?? 'zoho') === 'zoho') {
    document.zoho = { calendarId: (provider === 'zoho' ? calendarId : undefined) ?? `${slug}-appointments` };
  }
  if (provider === 'google') document.google = calendarId ? { calendarId } : {};
  if (provider === 'microsoft') document.microsoft = calendarId ? { calendarId } : {};
  return document;
}

/** The office document the answers describe (undefined until basics and a pack are chosen). */
export function officeDocumentFrom(answers: OnboardingAnswers): ClientConfigInput | undefined {
  const basics = answers.basics;
  if (!basics || !answers.pack) return undefined;
  const emailFrom = answers.email?.from ?? `${basics.name} <${basics.officeEmail}>`;
  const document = applyPack(
    {
      slug: basics.slug,
      name: basics.name,
      timezone: basics.timezone,
      officePhone: basics.officePhone,
      officeEmail: basics.officeEmail,
      address: basics.address,
      adminEmails: basics.adminEmails?.length ? basics.adminEmails : [basics.officeEmail],
      // Until the texting step picks the Twilio number, texts would come from the office's own number.
      senders: { sms: { from: answers.texting?.phoneNumber ?? basics.officePhone, a2pApproved: false }, email: { from: emailFrom } },
      retell: { agentIds: answers.retell?.agentId ? [answers.retell.agentId] : [] },
      ...calendarDocument(basics.slug, answers.calendar),
      ...(basics.language ? { language: basics.language } : {}),
      ...(basics.businessHours ? { businessHours: basics.businessHours as ClientConfigInput['businessHours'] } : {}),
      ...(basics.hoursPreset ? { hoursPreset: basics.hoursPreset } : {}),
    },
    answers.pack.pack,
  );
  const edits = answers.pack.templates;
  if (edits) {
    const templates = document.templates as { sms: Record<string, unknown>; email: Record<string, unknown> };
    document.templates = {
      sms: { ...templates.sms, ...(edits.sms ?? {}) },
      email: { ...templates.email, ...(edits.email ?? {}) },
    } as ClientConfigInput['templates'];
  }
  return document;
}
