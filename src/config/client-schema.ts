/**
 * The shape of one client's config file (config/clients/<slug>.json) and the rules a file must meet
 * before Switchboard will serve that office. Secrets never live here: the config names the environment
 * variables that hold them (see secrets.ts).
 */
import { DateTime, IANAZone } from 'luxon';
import { isValidPhoneNumber } from 'libphonenumber-js';
import { z } from 'zod';
import {
  FOLLOW_UP_TEMPLATE_KINDS,
  REQUIRED_EMAIL_TEMPLATE_KINDS,
  TEMPLATE_KINDS,
  type FollowUpTemplateKind,
  templateProblems,
  type TemplateChannel,
  type TemplateKind,
} from './templates.js';
import { smsConfigSchema } from './sms-keywords.js';
import { INTENTS, NEEDS } from '../insights/labels.js';
import { LANGUAGES } from '../i18n/phrases/index.js';

/** One problem in a config file or the environment; `path` is a JSON path like `businessHours.monday[1]`. */
export interface ConfigProblem {
  file: string;
  path: string;
  message: string;
}

/** Every problem found, so an operator fixes them all in one pass instead of one per restart. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], heading = 'Configuration is invalid') {
    const lines = problems.map((p) => (p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`));
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${heading} (${count}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `['businessHours', 'monday', 1]` → `businessHours.monday[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Flattens a zod error into problems for `file`, one per issue (union branches are not expanded). */
export function zodProblems(file: string, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ file, path: formatPath(issue.path), message: issue.message }));
}

// ---------------------------------------------------------------------------------------------------
// Building blocks

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** "HH:mm" → minutes after midnight; "24:00" (end of day) → 1440. */
export function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

const openTime = z.string().regex(TIME_OF_DAY, 'must be a 24-hour time "HH:mm", e.g. "09:00"');
const closeTime = z.string().refine((value) => TIME_OF_DAY.test(value) || value === '24:00', 'must be a 24-hour time "HH:mm", e.g. "17:30"');

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date "YYYY-MM-DD"')
  .refine((value) => DateTime.fromISO(value).isValid, 'is not a real calendar date');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name in capitals, e.g. "RETELL_API_KEY"');

const e164 = z
  .string()
  .refine((value) => value.startsWith('+') && isValidPhoneNumber(value), 'must be a valid phone number in E.164 form, e.g. "+12125550123"');

const email = z.email('must be an email address');

const timeRange = z.strictObject({ open: openTime, close: closeTime });
export type TimeRange = z.infer<typeof timeRange>;

/** Ranges of one day: each must open before it closes, and no two may overlap. */
const dayRanges = z.array(timeRange).superRefine((ranges, ctx) => {
  const valid: { index: number; open: number; close: number }[] = [];
  ranges.forEach((range, index) => {
    const open = minutesOfDay(range.open);
    const close = minutesOfDay(range.close);
    if (open >= close) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `opens at ${range.open} but closes at ${range.close}; open must be before close`,
      });
    } else {
      valid.push({ index, open, close });
    }
  });
  valid.sort((a, b) => a.open - b.open);
  for (let i = 1; i < valid.length; i++) {
    const previous = valid[i - 1]!;
    const current = valid[i]!;
    if (current.open < previous.close) {
      const later = Math.max(previous.index, current.index);
      const earlier = Math.min(previous.index, current.index);
      const other = ranges[earlier]!;
      ctx.addIssue({
        code: 'custom',
        path: [later],
        message: `overlaps range [${earlier}] (${other.open}-${other.close}) on the same day`,
      });
    }
  }
});

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const businessHours = z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, dayRanges])) as Record<Weekday, typeof dayRanges>);

/** A closed day or closed range; normalised to `{ from, to }` (a single day has from === to). */
const closure = z
  .strictObject({ date: isoDate.optional(), from: isoDate.optional(), to: isoDate.optional(), reason: z.string().min(1) })
  .superRefine((value, ctx) => {
    const single = value.date !== undefined;
    const range = value.from !== undefined || value.to !== undefined;
    if (single && range) {
      ctx.addIssue({ code: 'custom', message: 'use either "date" or "from"/"to", not both' });
    } else if (!single && !range) {
      ctx.addIssue({ code: 'custom', message: 'needs "date" (one day) or "from" and "to" (a range)' });
    } else if (range && (value.from === undefined || value.to === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a range needs both "from" and "to"' });
    } else if (range && value.from! > value.to!) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `ends (${value.to}) before it starts (${value.from})` });
    }
  })
  .transform((value) => ({
    from: (value.date ?? value.from) as string,
    to: (value.date ?? value.to) as string,
    reason: value.reason,
  }));
export type Closure = z.output<typeof closure>;

const appointmentType = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_"'),
  name: z.string().min(1),
  durationMinutes: z.int().min(5).max(480),
  bufferMinutes: z.int().min(0).max(240).default(0),
  whatToBring: z.string().min(1),
  default: z.boolean().optional(),
  /** What one appointment of this type is worth to the office (its own currency); analytics sums it for booked and held. */
  value: z.number().min(0).max(1_000_000).optional(),
});
export type AppointmentType = z.infer<typeof appointmentType>;

const appointmentTypes = z
  .array(appointmentType)
  .min(1, 'needs at least one appointment type')
  .superRefine((types, ctx) => {
    const seen = new Map<string, number>();
    types.forEach((type, index) => {
      const first = seen.get(type.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id "${type.id}" (also [${first}])` });
      } else {
        seen.set(type.id, index);
      }
    });
    if (types.filter((type) => type.default).length > 1) {
      ctx.addIssue({ code: 'custom', message: 'only one appointment type may be marked "default": true' });
    }
  });

const booking = z.strictObject({
  minimumNoticeMinutes: z.int().min(0).default(120),
  horizonDays: z.int().min(1).max(365).default(60),
  slotStepMinutes: z.int().min(5).max(240).default(30),
  holdSeconds: z.int().min(30).max(3600).default(300),
  maxSlotsOffered: z.int().min(1).max(10).default(3),
  /** Retell waits a few seconds for a function result; past this budget we answer with a fallback. */
  functionBudgetMs: z.int().min(500).max(30_000).default(6000),
  /**
   * Zoho made a booking's event only after the caller had been offered a callback (the create answered past the
   * function's deadline). remove: delete the event, nothing is booked, staff call back (what the caller heard).
   * keep_and_confirm: the appointment stands after all and the caller gets the usual confirmation. Either way the
   * callback task records what happened.
   */
  lateCalendarEvent: z.enum(['remove', 'keep_and_confirm']).default('remove'),
});

// ---------------------------------------------------------------------------------------------------
// Templates

function templateText(channel: TemplateChannel, kind: TemplateKind) {
  return z
    .string()
    .min(1, 'must not be empty')
    .superRefine((text, ctx) => {
      for (const message of templateProblems(kind, channel, text)) ctx.addIssue({ code: 'custom', message });
    });
}

const smsTemplates = z.strictObject({
  ...(Object.fromEntries(TEMPLATE_KINDS.filter((kind) => !isFollowUpKind(kind)).map((kind) => [kind, templateText('sms', kind)])) as Record<
    Exclude<TemplateKind, FollowUpTemplateKind>,
    z.ZodString
  >),
  ...(Object.fromEntries(FOLLOW_UP_TEMPLATE_KINDS.map((kind) => [kind, templateText('sms', kind).optional()])) as Record<
    FollowUpTemplateKind,
    z.ZodOptional<z.ZodString>
  >),
});

function isFollowUpKind(kind: TemplateKind): kind is FollowUpTemplateKind {
  return (FOLLOW_UP_TEMPLATE_KINDS as readonly string[]).includes(kind);
}

function emailTemplate(kind: TemplateKind) {
  return z.strictObject({
    subject: templateText('email', kind),
    text: templateText('email', kind),
    html: templateText('email', kind).optional(),
  });
}
type EmailTemplateSchema = ReturnType<typeof emailTemplate>;

const emailTemplates = z.strictObject({
  ...(Object.fromEntries(REQUIRED_EMAIL_TEMPLATE_KINDS.map((kind) => [kind, emailTemplate(kind)])) as Record<
    (typeof REQUIRED_EMAIL_TEMPLATE_KINDS)[number],
    EmailTemplateSchema
  >),
  opt_out_confirmation: emailTemplate('opt_out_confirmation').optional(),
  ...(Object.fromEntries(FOLLOW_UP_TEMPLATE_KINDS.map((kind) => [kind, emailTemplate(kind).optional()])) as Record<
    FollowUpTemplateKind,
    z.ZodOptional<EmailTemplateSchema>
  >),
});
export type EmailTemplate = z.infer<EmailTemplateSchema>;

/**
 * A variant of one template kind for calls with a given intent and/or caller need (issue 17, insights/labels.ts);
 * messaging/template-variant.ts picks the most specific one. Each text obeys the same rules as the kind's template.
 */
const templateVariant = z
  .strictObject({
    kind: z.enum(TEMPLATE_KINDS),
    intent: z.enum(INTENTS).optional(),
    need: z.enum(NEEDS).optional(),
    sms: z.string().min(1, 'must not be empty').optional(),
    email: z.strictObject({ subject: z.string().min(1), text: z.string().min(1), html: z.string().min(1).optional() }).optional(),
  })
  .superRefine((variant, ctx) => {
    if (variant.intent === undefined && variant.need === undefined) ctx.addIssue({ code: 'custom', message: 'needs an intent, a need, or both' });
    if (variant.sms === undefined && variant.email === undefined) ctx.addIssue({ code: 'custom', message: 'needs an sms text, an email, or both' });
    const texts: Array<[TemplateChannel, string, string]> = [];
    if (variant.sms !== undefined) texts.push(['sms', 'sms', variant.sms]);
    if (variant.email)
      for (const part of ['subject', 'text', 'html'] as const)
        if (variant.email[part] !== undefined) texts.push(['email', `email.${part}`, variant.email[part]]);
    for (const [channel, path, text] of texts) {
      for (const message of templateProblems(variant.kind, channel, text)) ctx.addIssue({ code: 'custom', path: path.split('.'), message });
    }
  });

/**
 * One language's translation of the office's words: any template (a kind is translated whole or not at all, and
 * an untranslated kind falls back to the office's default language), and appointment type names and what to bring
 * by type id (an entry for a type the office no longer has is ignored).
 */
const translation = z.strictObject({
  templates: z
    .strictObject({
      sms: z
        .strictObject(
          Object.fromEntries(TEMPLATE_KINDS.map((kind) => [kind, templateText('sms', kind).optional()])) as Record<TemplateKind, z.ZodOptional<z.ZodString>>,
        )
        .prefault({}),
      email: z
        .strictObject(
          Object.fromEntries(TEMPLATE_KINDS.map((kind) => [kind, emailTemplate(kind).optional()])) as Record<TemplateKind, z.ZodOptional<EmailTemplateSchema>>,
        )
        .prefault({}),
    })
    .prefault({}),
  appointmentTypes: z.record(z.string(), z.strictObject({ name: z.string().min(1).optional(), whatToBring: z.string().min(1).optional() })).default({}),
});
export type Translation = z.infer<typeof translation>;

/** Translations keyed by language ("es"); the office's own `templates` are in its default `language`. */
const translations = z.partialRecord(z.enum(LANGUAGES), translation).default({});

// ---------------------------------------------------------------------------------------------------
// Messaging rules

const emailFrom = z
  .string()
  .refine((value) => /^[^<>]+<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>$/.test(value.trim()), 'must look like "Office Name <address@example.com>"');

const senders = z.strictObject({
  sms: z
    .strictObject({
      from: e164.optional(),
      messagingServiceSid: z
        .string()
        .regex(/^MG[0-9a-fA-F]{32}$/, 'must be a Twilio Messaging Service SID ("MG" + 32 hex digits)')
        .optional(),
      /** A 10DLC long code sends about 1 message per second; more gets queued or filtered by carriers. */
      ratePerSecond: z.number().positive().max(100).default(1),
      /**
       * US carriers filter marketing texts from a number without an approved A2P 10DLC campaign. An office onboarded
       * in the wizard starts with false: its marketing texts wait until an admin marks the campaign approved.
       */
      a2pApproved: z.boolean().default(true),
    })
    .refine(
      (value) => (value.from === undefined) !== (value.messagingServiceSid === undefined),
      'set exactly one of "from" (a phone number) or "messagingServiceSid"',
    ),
  email: z.strictObject({ from: emailFrom, replyTo: email.optional() }),
});

/**
 * Provider chains (issue 19): the order in which an office's texts and e-mails try providers. Absent, an office uses
 * Twilio (`senders.sms`, `twilio.*Env`) and SMTP (`email.smtpUrlEnv`) alone, exactly as before chains existed.
 */
const smsProvider = z.discriminatedUnion('provider', [
  z.strictObject({ provider: z.literal('twilio') }),
  z.strictObject({
    provider: z.literal('telnyx'),
    /** The Telnyx number texts go from (on a messaging profile); shown as the sender in the message history. */
    from: e164,
    messagingProfileId: z.string().min(1).max(100).optional(),
    apiKeyEnv: envName.default('TELNYX_API_KEY'),
    /** The account's webhook public key (Ed25519, base64), for the signed inbound and status webhooks. */
    publicKeyEnv: envName.default('TELNYX_PUBLIC_KEY'),
  }),
]);
const emailProvider = z.discriminatedUnion('provider', [
  z.strictObject({ provider: z.literal('smtp') }),
  z.strictObject({
    provider: z.literal('sendgrid'),
    apiKeyEnv: envName.default('SENDGRID_API_KEY'),
    /** The signed event webhook's verification key (ECDSA P-256 public key, base64). */
    webhookKeyEnv: envName.default('SENDGRID_WEBHOOK_KEY'),
  }),
]);
const uniqueProviders = (chain: Array<{ provider: string }>) => new Set(chain.map((entry) => entry.provider)).size === chain.length;
const providerChains = z.strictObject({
  sms: z.array(smsProvider).min(1).max(2).refine(uniqueProviders, 'lists a provider twice').optional(),
  email: z.array(emailProvider).min(1).max(2).refine(uniqueProviders, 'lists a provider twice').optional(),
});
export type SmsProviderConfig = z.infer<typeof smsProvider>;
export type EmailProviderConfig = z.infer<typeof emailProvider>;

const quietWindow = z.strictObject({ start: openTime, end: closeTime }).refine((window) => minutesOfDay(window.start) < minutesOfDay(window.end), {
  message: 'start must be before end',
  path: ['end'],
});

const stateOverride = z
  .strictObject({ start: openTime, end: closeTime, maxMarketingPer24h: z.int().min(0).optional() })
  .refine((window) => minutesOfDay(window.start) < minutesOfDay(window.end), {
    message: 'start must be before end',
    path: ['end'],
  });

export const US_STATE_CODES = [
  'AL',
  'AK',
  'AZ',
  'AR',
  'CA',
  'CO',
  'CT',
  'DE',
  'FL',
  'GA',
  'HI',
  'ID',
  'IL',
  'IN',
  'IA',
  'KS',
  'KY',
  'LA',
  'ME',
  'MD',
  'MA',
  'MI',
  'MN',
  'MS',
  'MO',
  'MT',
  'NE',
  'NV',
  'NH',
  'NJ',
  'NM',
  'NY',
  'NC',
  'ND',
  'OH',
  'OK',
  'OR',
  'PA',
  'RI',
  'SC',
  'SD',
  'TN',
  'TX',
  'UT',
  'VT',
  'VA',
  'WA',
  'WV',
  'WI',
  'WY',
  'DC',
  'PR',
  'VI',
  'GU',
  'AS',
  'MP',
] as const;
const usStateCodes: ReadonlySet<string> = new Set(US_STATE_CODES);

/** Florida (FTSA) and Oklahoma (OTSA): solicitations 8:00–20:00 local, at most 3 per 24 hours. */
const DEFAULT_STATE_OVERRIDES = {
  FL: { start: '08:00', end: '20:00', maxMarketingPer24h: 3 },
  OK: { start: '08:00', end: '20:00', maxMarketingPer24h: 3 },
};

const quietHours = z.strictObject({
  marketing: quietWindow.prefault({ start: '08:00', end: '21:00' }),
  transactional: quietWindow.prefault({ start: '08:00', end: '21:00' }),
  marketingWithinBusinessHours: z.boolean().default(true),
  stateOverrides: z
    .record(
      z.string().refine((code) => usStateCodes.has(code), 'must be a two-letter US state code, e.g. "FL"'),
      stateOverride,
    )
    .prefault(DEFAULT_STATE_OVERRIDES),
});

const nurtureStep = (afterDays: number) => z.strictObject({ afterDays: z.int().min(0).max(60) }).prefault({ afterDays });

const nurture = z
  .strictObject({ enabled: z.boolean().default(true), day1: nurtureStep(1), day4: nurtureStep(4) })
  .refine((value) => value.day4.afterDays > value.day1.afterDays, {
    message: 'the second nurture message must come after the first',
    path: ['day4', 'afterDays'],
  });

/**
 * Follow-up sequences beyond booking and nurture, each off until the office turns it on. Every message goes through
 * the same consent and send-window rules as nurture texts.
 */
const followUps = z.strictObject({
  missedCall: z
    .strictObject({
      /** A call that ended before a conversation (the call outcome's voicemail/abandoned) gets one text, once per number per office-local day. */
      enabled: z.boolean().default(false),
      /** Send it as transactional (the caller just called us); otherwise marketing consent and hours apply. */
      transactional: z.boolean().default(false),
      /** The office's online booking page, for {{booking_link}}. */
      bookingUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .prefault({}),
  afterAppointment: z
    .strictObject({
      /** Attended: a thank-you text (and e-mail if the office has the template). */
      thankYou: z.boolean().default(false),
      /** Attended: a review request with reviewUrl, to every attended customer (never filtered by sentiment: Google's and the FTC's rules). */
      reviewRequest: z.boolean().default(false),
      reviewUrl: z.url({ protocol: /^https?$/ }).optional(),
      /** How long after the mark the thank-you and review request go. */
      delayMinutes: z
        .int()
        .min(0)
        .max(7 * 24 * 60)
        .default(60),
      /** No-show: a rebook text and e-mail with the next open slots. */
      rebook: z.boolean().default(false),
      rebookSlots: z.int().min(1).max(5).default(3),
      /**
       * "Unmarked after N hours counts as missed": a booked appointment still unmarked this many hours after its end
       * gets the no-show rebook (found by a sweep, messaging/missed-sweep.ts). Unset (the default): only staff's
       * no-show mark rebooks.
       */
      unmarkedMissedAfterHours: z
        .int()
        .min(1)
        .max(7 * 24)
        .optional(),
    })
    .refine((value) => !value.reviewRequest || value.reviewUrl !== undefined, {
      message: "a review request needs reviewUrl (the office's review page)",
      path: ['reviewUrl'],
    })
    .refine((value) => value.unmarkedMissedAfterHours === undefined || value.rebook, {
      message: 'counting unmarked appointments as missed plans the rebook: turn rebook on, or remove unmarkedMissedAfterHours',
      path: ['unmarkedMissedAfterHours'],
    })
    .prefault({}),
});

// ---------------------------------------------------------------------------------------------------
// Vendors

export const CALL_OUTCOMES = ['booked', 'rescheduled', 'cancelled', 'info_only', 'callback_requested', 'opted_out', 'voicemail', 'abandoned'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export function isCallOutcome(value: string): value is CallOutcome {
  return (CALL_OUTCOMES as readonly string[]).includes(value);
}

/** Values of Zoho's stock Lead_Status picklist, so an unconfigured org accepts them. */
const DEFAULT_LEAD_STATUS: Record<CallOutcome, string> = {
  booked: 'Pre-Qualified',
  rescheduled: 'Pre-Qualified',
  cancelled: 'Contact in Future',
  info_only: 'Contacted',
  callback_requested: 'Not Contacted',
  opted_out: 'Lost Lead',
  voicemail: 'Attempted to Contact',
  abandoned: 'Attempted to Contact',
};

const statusMap = z.strictObject(
  Object.fromEntries(CALL_OUTCOMES.map((outcome) => [outcome, z.string().min(1).default(DEFAULT_LEAD_STATUS[outcome])])) as Record<
    CallOutcome,
    z.ZodDefault<z.ZodString>
  >,
);

const zohoFieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a Zoho API field name, e.g. "SMS_Opt_Out"');

export const ZOHO_DATA_CENTERS = ['us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'cn'] as const;

const zoho = z.strictObject({
  dataCenter: z.enum(ZOHO_DATA_CENTERS).default('us'),
  calendarId: z.string().min(1),
  calendarOwnerEmail: email.optional(),
  clientIdEnv: envName.default('ZOHO_CLIENT_ID'),
  clientSecretEnv: envName.default('ZOHO_CLIENT_SECRET'),
  crm: z
    .strictObject({
      enabled: z.boolean().default(true),
      leadSource: z.string().min(1).default('AI Receptionist'),
      /** Zoho's default Leads layout makes Company mandatory; an individual caller has none. Defaults to the office name. */
      company: z.string().min(1).optional(),
      statusMap: statusMap.prefault({}),
      fieldMap: z
        .strictObject({
          appointmentAt: zohoFieldName.optional(),
          appointmentType: zohoFieldName.optional(),
          lastCallIntent: zohoFieldName.optional(),
          smsOptOut: zohoFieldName.optional(),
          emailOptOut: zohoFieldName.optional(),
        })
        .prefault({}),
      /** Sync a lead without Retell's call analysis if it has not arrived after this long. */
      syncWaitMinutesWithoutAnalysis: z.int().min(0).max(240).default(10),
    })
    .prefault({}),
});

/** Values of HubSpot's stock `hs_lead_status` property, so an unconfigured account accepts them. */
const DEFAULT_HUBSPOT_LEAD_STATUS: Record<CallOutcome, string> = {
  booked: 'OPEN_DEAL',
  rescheduled: 'OPEN_DEAL',
  cancelled: 'BAD_TIMING',
  info_only: 'CONNECTED',
  callback_requested: 'OPEN',
  opted_out: 'UNQUALIFIED',
  voicemail: 'ATTEMPTED_TO_CONTACT',
  abandoned: 'ATTEMPTED_TO_CONTACT',
};

const hubspotStatusMap = z.strictObject(
  Object.fromEntries(CALL_OUTCOMES.map((outcome) => [outcome, z.string().min(1).default(DEFAULT_HUBSPOT_LEAD_STATUS[outcome])])) as Record<
    CallOutcome,
    z.ZodDefault<z.ZodString>
  >,
);

const hubspotPropertyName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a HubSpot property internal name in lower case, e.g. "sms_opt_out"');

/** HubSpot CRM (contacts and notes) through a private app's access token (docs/decisions.md says why). */
const hubspot = z.strictObject({
  accessTokenEnv: envName.default('HUBSPOT_ACCESS_TOKEN'),
  /** hs_lead_status values per call outcome; the ranks (only forward) are the same as for every CRM. */
  statusMap: hubspotStatusMap.prefault({}),
  /** Contact properties (internal names) the office created for these facts; unset ones are not written. */
  propertyMap: z
    .strictObject({
      appointmentAt: hubspotPropertyName.optional(),
      appointmentType: hubspotPropertyName.optional(),
      lastCallIntent: hubspotPropertyName.optional(),
      smsOptOut: hubspotPropertyName.optional(),
      emailOptOut: hubspotPropertyName.optional(),
    })
    .prefault({}),
});

/**
 * Google Calendar settings of an office that books there (`calendar.provider: "google"`). The OAuth app is the
 * deployment's (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET); each office connects its own Google account.
 */
const google = z.strictObject({
  /** The calendar booking writes to: `primary` (the connected account's own) or an id from the calendar list. */
  calendarId: z.string().min(1).default('primary'),
  /** Further calendars whose busy times block slots (e.g. the owner's personal calendar shared with the account). */
  freeBusyCalendarIds: z.array(z.string().min(1)).max(20).optional(),
});

/**
 * Microsoft 365 / Outlook settings of an office that books there (`calendar.provider: "microsoft"`). The OAuth app is
 * the deployment's (MICROSOFT_CLIENT_ID / MICROSOFT_CLIENT_SECRET / MICROSOFT_TENANT).
 */
const microsoft = z.strictObject({
  /** The calendar booking writes to; the mailbox's default calendar when absent. */
  calendarId: z.string().min(1).optional(),
  /**
   * Whose free/busy blocks slots: the connected mailbox when absent; another mailbox's address; or `false` for a
   * personal (outlook.com) account, where Graph has no getSchedule (then only the booking calendar's events count).
   */
  scheduleAddress: z.union([email, z.literal(false)]).optional(),
});

export const CALENDAR_PROVIDERS = ['zoho', 'google', 'microsoft'] as const;
export const CRM_PROVIDERS = ['zoho', 'hubspot', 'none'] as const;
export type CalendarProvider = (typeof CALENDAR_PROVIDERS)[number];
export type CrmProvider = (typeof CRM_PROVIDERS)[number];

/** Which calendar the office books in; a document without it means Zoho Calendar (as before this choice existed). */
const calendarChoice = z.strictObject({ provider: z.enum(CALENDAR_PROVIDERS).default('zoho') });

/**
 * Which CRM records the office's callers. Without it: Zoho CRM, or none when `zoho.crm.enabled` is false (as before
 * this choice existed). `none` turns CRM sync off.
 */
const crmChoice = z.strictObject({
  provider: z.enum(CRM_PROVIDERS).optional(),
  /** Sync a lead without Retell's call analysis if it has not arrived after this long (default: zoho.crm's, else 10). */
  syncWaitMinutesWithoutAnalysis: z.int().min(0).max(240).optional(),
});

const retell = z.strictObject({
  /**
   * Empty while an office is being onboarded (its agent is connected in the wizard's Retell step): every Retell
   * request is then refused with 403 naming the fix, and the go-live check fails until an agent is set.
   */
  agentIds: z.array(z.string().regex(/^agent_[A-Za-z0-9_]+$/, 'must be a Retell agent id ("agent_…")')).default([]),
  apiKeyEnv: envName.default('RETELL_API_KEY'),
  /**
   * Store and forward what callers say or text (transcripts, summaries and analysis, function arguments, inbound
   * texts) with SSN/ITIN, card and account numbers and long spoken digit runs removed (`log/redact-caller-text.ts`).
   */
  redactTranscripts: z.boolean().default(true),
  /**
   * Each agent's Retell `language` setting (one locale such as "es-419", or a list for a multilingual agent). An
   * agent that speaks one language answers every caller in it; a multilingual one (or one not listed) lets the
   * caller's words and memory decide (`i18n/language.ts`).
   */
  agentLanguages: z.record(z.string(), z.union([z.string().trim().min(2).max(20), z.array(z.string().trim().min(2).max(20)).min(1).max(20)])).default({}),
});

/**
 * Transfer to a person, by time band: e.g. the front desk during office hours, the owner's cell for urgent
 * calls after hours. The first band that fits the moment (and the call's urgency) is the target.
 */
const transferBand = z.strictObject({
  name: z.string().trim().min(1).max(80),
  number: e164,
  /** office_hours: while the office is open today (closures and special hours applied); after_hours: otherwise. */
  when: z.enum(['office_hours', 'after_hours', 'always']).default('always'),
  /** Only for calls the agent says are urgent. */
  urgentOnly: z.boolean().default(false),
});
export type TransferBand = z.infer<typeof transferBand>;

const transfer = z.strictObject({
  bands: z.array(transferBand).max(10).default([]),
  /** A transfer nobody answered becomes a callback task due this many minutes later. */
  callbackDeadlineMinutes: z
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(60),
});

/**
 * Caller insight (issue 17). `rewrite.enabled`: follow-up texts and e-mails (nurture, after an appointment) may be
 * reworded by the LLM (ANTHROPIC_API_KEY) before their first send, and only when every fact survives
 * (messaging/rewrite/). Off by default: the office's own words go out.
 */
const insights = z.strictObject({
  rewrite: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
});

/**
 * One bookable person (issue 20): their own calendar in the office's calendar provider (`calendarId`, whatever id that
 * provider gives a calendar), their own weekly hours (the office's when absent) and the appointment types they take
 * (all when absent). The office's closures close everyone; on a date with special hours a person works where their
 * own hours and the special hours overlap.
 */
const staffMember = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_"')
    .max(60),
  name: z.string().trim().min(1, 'needs a name (callers ask for people by name)').max(80),
  calendarId: z.string().trim().min(1, "needs the id of the person's own calendar in the office's calendar provider").max(500),
  businessHours: businessHours.optional(),
  appointmentTypes: z.array(z.string().min(1)).min(1, 'takes at least one appointment type (leave it out for all types)').optional(),
});
export type StaffMember = z.infer<typeof staffMember>;

export const STAFF_ASSIGNMENTS = ['round_robin', 'first_listed'] as const;
export type StaffAssignment = (typeof STAFF_ASSIGNMENTS)[number];

/**
 * Several bookable people, each with their own calendar. `assignment` decides who gets a slot that more than one person
 * has free when the caller names nobody: round_robin (the one with the fewest upcoming bookings, then the listed order)
 * or first_listed (always the first free one in the list).
 */
const staff = z.strictObject({
  assignment: z.enum(STAFF_ASSIGNMENTS).default('round_robin'),
  people: z.array(staffMember).min(1, 'needs at least one person').max(50),
});

// ---------------------------------------------------------------------------------------------------
// The whole file

const clientConfigObject = z.strictObject({
  slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case, e.g. "smart-tax-nation"'),
  name: z.string().min(1),
  timezone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'is not a known IANA time zone, e.g. "America/New_York"'),
  officePhone: e164,
  officeEmail: email,
  /** Physical postal address; CAN-SPAM requires it in marketing email. */
  address: z.string().min(1),
  adminEmails: z.array(email).min(1, 'needs at least one admin email for alerts'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag like "en" or "es-US"')
    .default('en'),
  businessHours,
  closures: z.array(closure).default([]),
  /** Dates with different hours (e.g. the filing deadline); an empty array closes that day. */
  specialHours: z.record(isoDate, dayRanges).default({}),
  appointmentTypes,
  booking: booking.prefault({}),
  templates: z.strictObject({ sms: smsTemplates, email: emailTemplates, variants: z.array(templateVariant).max(100).optional() }),
  /** The same words in other languages, for callers who speak them (see `messaging/pick-template.ts`). */
  translations,
  /** Inbound keywords (STOP, ALTO, START, AYUDA, …) the office adds, and its replies per language. */
  sms: smsConfigSchema.prefault({}),
  senders,
  retry: z.strictObject({ maxAttempts: z.int().min(1).max(10).default(3), intervalSeconds: z.int().min(1).max(3600).default(60) }).prefault({}),
  quietHours: quietHours.prefault({}),
  nurture: nurture.prefault({}),
  followUps: followUps.prefault({}),
  retell,
  transfer: transfer.prefault({}),
  insights: insights.prefault({}),
  /** Bookable people with their own calendars; absent: the office books in its one calendar. */
  staff: staff.optional(),
  calendar: calendarChoice.prefault({}),
  crm: crmChoice.prefault({}),
  /** Required when the calendar or the CRM is Zoho. */
  zoho: zoho.optional(),
  /** Required when the calendar is Google Calendar (`{}` books in the connected account's primary calendar). */
  google: google.optional(),
  /** Required when the calendar is Microsoft 365 (`{}` books in the mailbox's default calendar). */
  microsoft: microsoft.optional(),
  hubspot: hubspot.optional(),
  twilio: z
    .strictObject({
      accountSidEnv: envName.default('TWILIO_ACCOUNT_SID'),
      authTokenEnv: envName.default('TWILIO_AUTH_TOKEN'),
    })
    .prefault({}),
  email: z.strictObject({ smtpUrlEnv: envName.default('SMTP_URL') }).prefault({}),
  providers: providerChains.optional(),
  alerts: z
    .strictObject({
      /** null turns Slack alerts off for this client (email and the dashboard still get them). */
      slackWebhookEnv: envName.nullable().default('SLACK_WEBHOOK_URL'),
      /** Defaults to adminEmails. */
      emails: z.array(email).optional(),
      dedupeMinutes: z.int().min(0).max(1440).default(10),
      /**
       * Alerts below critical are collected into one digest per office per this many minutes (0: each goes out on its
       * own). Critical alerts always go at once; every alert is in the dashboard's error log at once either way.
       */
      digestMinutes: z.int().min(0).max(1440).default(0),
    })
    .prefault({}),
});

export const clientConfigSchema = clientConfigObject
  .superRefine((config, ctx) => {
    const needs: Array<[boolean, FollowUpTemplateKind, string]> = [
      [config.followUps.missedCall.enabled, 'missed_call', 'followUps.missedCall.enabled'],
      [config.followUps.afterAppointment.thankYou, 'thank_you', 'followUps.afterAppointment.thankYou'],
      [config.followUps.afterAppointment.reviewRequest, 'review_request', 'followUps.afterAppointment.reviewRequest'],
      [config.followUps.afterAppointment.rebook, 'rebook', 'followUps.afterAppointment.rebook'],
    ];
    for (const [enabled, kind, setting] of needs) {
      if (enabled && !config.templates.sms[kind]) {
        ctx.addIssue({ code: 'custom', path: ['templates', 'sms', kind], message: `is needed because ${setting} is on` });
      }
    }
    const crmProvider = crmProviderOf(config);
    if (!config.zoho && (config.calendar.provider === 'zoho' || crmProvider === 'zoho')) {
      ctx.addIssue({
        code: 'custom',
        path: ['zoho'],
        message: `is required while ${config.calendar.provider === 'zoho' ? 'calendar.provider' : 'crm.provider'} is "zoho" (at least { "calendarId": "…" })`,
      });
    }
    for (const provider of ['google', 'microsoft'] as const) {
      if (config.calendar.provider === provider && !config[provider]) {
        ctx.addIssue({
          code: 'custom',
          path: [provider],
          message: `is required while calendar.provider is "${provider}" (at least {}, or { "calendarId": "…" })`,
        });
      }
    }
    if (config.crm.provider === 'zoho' && config.zoho?.crm.enabled === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['crm', 'provider'],
        message: 'is "zoho" but zoho.crm.enabled is false; choose one (crm.provider "none" turns CRM sync off)',
      });
    }
    if (config.staff) staffIssues(config, ctx);
    else if (/\{\{\s*staff_name\s*\}\}/.test(JSON.stringify([config.templates, config.translations]))) {
      ctx.addIssue({ code: 'custom', path: ['templates'], message: 'use {{staff_name}} only in an office with "staff" (who the appointment is with)' });
    }
    for (const [date] of Object.entries(config.specialHours)) {
      const closed = config.closures.find((c) => c.from <= date && date <= c.to);
      if (closed) {
        ctx.addIssue({
          code: 'custom',
          path: ['specialHours', date],
          message: `${date} is also listed as closed (${closed.reason}); remove one of the two`,
        });
      }
    }
  })
  .transform((config) => {
    const provider = crmProviderOf(config);
    const statusMap = provider === 'hubspot' ? (config.hubspot?.statusMap ?? DEFAULT_HUBSPOT_LEAD_STATUS) : (config.zoho?.crm.statusMap ?? DEFAULT_LEAD_STATUS);
    return {
      ...config,
      alerts: { ...config.alerts, emails: config.alerts.emails ?? config.adminEmails },
      zoho: config.zoho && { ...config.zoho, crm: { ...config.zoho.crm, company: config.zoho.crm.company ?? config.name } },
      /** The CRM choice resolved: the provider, whether sync runs, and the status words of that CRM. */
      crm: {
        provider,
        enabled: provider !== 'none',
        statusMap,
        syncWaitMinutesWithoutAnalysis: config.crm.syncWaitMinutesWithoutAnalysis ?? config.zoho?.crm.syncWaitMinutesWithoutAnalysis ?? 10,
      },
    };
  });

/** Person ids and names are unique (a caller picks by name), and every appointment type a person takes exists. */
function staffIssues(config: z.infer<typeof clientConfigObject>, ctx: z.RefinementCtx): void {
  const typeIds = new Set(config.appointmentTypes.map((type) => type.id));
  const ids = new Map<string, number>();
  const names = new Map<string, number>();
  config.staff!.people.forEach((person, index) => {
    const name = person.name.toLowerCase();
    if (ids.has(person.id))
      ctx.addIssue({ code: 'custom', path: ['staff', 'people', index, 'id'], message: `duplicate id "${person.id}" (also [${ids.get(person.id)}])` });
    else ids.set(person.id, index);
    if (names.has(name))
      ctx.addIssue({
        code: 'custom',
        path: ['staff', 'people', index, 'name'],
        message: `duplicate name "${person.name}" (also [${names.get(name)}]); callers pick people by name`,
      });
    else names.set(name, index);
    (person.appointmentTypes ?? []).forEach((typeId, typeIndex) => {
      if (!typeIds.has(typeId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['staff', 'people', index, 'appointmentTypes', typeIndex],
          message: `"${typeId}" is not one of appointmentTypes (${[...typeIds].join(', ')})`,
        });
      }
    });
  });
}

function crmProviderOf(config: { crm: { provider?: CrmProvider }; zoho?: { crm: { enabled: boolean } } }): CrmProvider {
  if (config.crm.provider) return config.crm.provider;
  return config.zoho?.crm.enabled === false ? 'none' : 'zoho';
}

export type ClientConfig = z.infer<typeof clientConfigSchema>;
/** What a config file may contain before defaults are applied (handy for builders in tests). */
export type ClientConfigInput = z.input<typeof clientConfigSchema>;
