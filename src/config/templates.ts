/**
 * Message template vocabulary: which `{{variable}}` each template kind may use, and a renderer that
 * refuses to send a message with a hole in it. The config loader uses the vocabulary to reject typos
 * at start-up instead of at 9 pm when a reminder goes out.
 */
import { PermanentError } from '../core/errors.js';

export const TEMPLATE_KINDS = [
  'confirmation',
  'reminder_24h',
  'reminder_1h',
  'rescheduled',
  'cancelled',
  'nurture_day1',
  'nurture_day4',
  'opt_out_confirmation',
  'missed_call',
  'thank_you',
  'review_request',
  'rebook',
] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/**
 * Kinds an office provides only for the follow-up sequences it turns on (missed-call text-back, after the
 * appointment), so office documents written before them stay valid; the schema asks for them when enabled.
 */
export const FOLLOW_UP_TEMPLATE_KINDS = ['missed_call', 'thank_you', 'review_request', 'rebook'] as const satisfies readonly TemplateKind[];
export type FollowUpTemplateKind = (typeof FOLLOW_UP_TEMPLATE_KINDS)[number];

/** Kinds about one appointment; they may use the appointment variables. */
export const APPOINTMENT_TEMPLATE_KINDS = [
  'confirmation',
  'reminder_24h',
  'reminder_1h',
  'rescheduled',
  'cancelled',
] as const satisfies readonly TemplateKind[];

/** Email kinds a client must provide; an opt-out confirmation is sent by SMS only unless configured. */
export const REQUIRED_EMAIL_TEMPLATE_KINDS = [
  'confirmation',
  'reminder_24h',
  'reminder_1h',
  'rescheduled',
  'cancelled',
  'nurture_day1',
  'nurture_day4',
] as const satisfies readonly TemplateKind[];

/** Marketing kinds: opt-in and quiet-hour bound, and must carry opt-out language. */
export const MARKETING_TEMPLATE_KINDS = ['nurture_day1', 'nurture_day4', 'missed_call', 'review_request', 'rebook'] as const satisfies readonly TemplateKind[];

export type TemplateChannel = 'sms' | 'email';

const COMMON_VARIABLES = ['first_name', 'customer_name', 'office_name', 'office_phone', 'office_address'] as const;

const APPOINTMENT_VARIABLES = [
  ...COMMON_VARIABLES,
  /** "Tuesday, February 3 at 2:30 PM", in the office's zone; what the agent would say. */
  'appointment_time_spoken',
  /** "Tue 2/3 2:30 PM", for short SMS. */
  'appointment_time_short',
  /** "February 3, 2027". */
  'appointment_date',
  'appointment_type',
  'what_to_bring',
  'reschedule_instructions',
  /** Who the appointment is with (an office with `staff`; the config refuses it in an office without). */
  'staff_name',
] as const;

/** Variables every template of a kind may use, whatever the channel. */
export const TEMPLATE_VARIABLES: Record<TemplateKind, readonly string[]> = {
  confirmation: APPOINTMENT_VARIABLES,
  reminder_24h: APPOINTMENT_VARIABLES,
  reminder_1h: APPOINTMENT_VARIABLES,
  rescheduled: [...APPOINTMENT_VARIABLES, 'previous_appointment_time_spoken'],
  cancelled: APPOINTMENT_VARIABLES,
  nurture_day1: COMMON_VARIABLES,
  nurture_day4: COMMON_VARIABLES,
  opt_out_confirmation: COMMON_VARIABLES,
  /** booking_link: the office's online booking page (followUps.missedCall.bookingUrl), if it has one. */
  missed_call: [...COMMON_VARIABLES, 'booking_link'],
  thank_you: [...COMMON_VARIABLES, 'appointment_type'],
  /** review_link: the office's review page (followUps.afterAppointment.reviewUrl), sent to every attended customer. */
  review_request: [...COMMON_VARIABLES, 'appointment_type', 'review_link'],
  /** open_slots: the next open times ("Tue 3/3 10:00 AM, Tue 3/3 2:00 PM"), from the booking availability. */
  rebook: [...COMMON_VARIABLES, 'appointment_type', 'open_slots'],
};

/** Extra variables by channel: SMS gets the opt-out sentence, email the unsubscribe link (CAN-SPAM). */
export const CHANNEL_VARIABLES: Record<TemplateChannel, readonly string[]> = {
  sms: ['opt_out_text'],
  email: ['unsubscribe_link'],
};

/** The standard opt-out sentence for `{{opt_out_text}}`; carriers and Twilio recognise STOP. */
export const OPT_OUT_TEXT = 'Reply STOP to opt out';

export function knownTemplateVariables(kind: TemplateKind, channel: TemplateChannel): readonly string[] {
  return [...TEMPLATE_VARIABLES[kind], ...CHANNEL_VARIABLES[channel]];
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** Names used in `text`, in order of first use, without duplicates; `{{ name }}` is the same as `{{name}}`. */
export function templateVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) names.add((match[1] ?? '').trim());
  return [...names];
}

/** Variables used in `text` that the kind/channel does not provide (typos such as `{{firstname}}`). */
export function unknownTemplateVariables(kind: TemplateKind, channel: TemplateChannel, text: string): string[] {
  const known = new Set(knownTemplateVariables(kind, channel));
  return templateVariables(text).filter((name) => !known.has(name));
}

/** True when braces are left over after removing every placeholder, e.g. `{{first_name}` or `{first_name}}`. */
export function hasUnbalancedBraces(text: string): boolean {
  const rest = text.replace(PLACEHOLDER, '');
  return rest.includes('{{') || rest.includes('}}');
}

/**
 * What is wrong with one template text, each as a sentence: unknown variables (typos), unbalanced braces, and a
 * marketing text without opt-out language. The config schema refuses an office with any of these; the
 * template editor's preview shows them while the text is typed.
 */
export function templateProblems(kind: TemplateKind, channel: TemplateChannel, text: string): string[] {
  const problems: string[] = [];
  const unknown = unknownTemplateVariables(kind, channel, text);
  if (unknown.length > 0) {
    problems.push(
      `unknown template variable ${unknown.map((name) => `{{${name}}}`).join(', ')}; ` +
        `${channel} ${kind} may use ${knownTemplateVariables(kind, channel).join(', ')}`,
    );
  }
  if (hasUnbalancedBraces(text)) problems.push('has unbalanced braces; write variables as {{name}}');
  // TCPA/CTIA: marketing texts must say how to opt out.
  if (channel === 'sms' && (MARKETING_TEMPLATE_KINDS as readonly string[]).includes(kind)) {
    if (!text.includes('{{opt_out_text}}') && !/\bSTOP\b/.test(text)) {
      problems.push('is a marketing text and must include {{opt_out_text}} or "STOP"');
    }
  }
  return problems;
}

export type TemplateValues = Readonly<Record<string, string | number | null | undefined>>;

/** Thrown when a template uses a variable with no value; retrying cannot fix it, so the outbox marks it dead. */
export class TemplateRenderError extends PermanentError {
  readonly missing: string[];
  constructor(missing: string[]) {
    super(
      `Template needs a value for ${missing.map((name) => `{{${name}}}`).join(', ')}; ` +
        'nothing was sent. Fill in the missing data (or edit the template) and send again.',
      'template_variable_missing',
    );
    this.name = 'TemplateRenderError';
    this.missing = missing;
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Fills every `{{variable}}` in `text`. A variable without a value (missing, null, or blank) throws
 * TemplateRenderError naming all of them: a customer must never get "Hi , your appointment is at ."
 * With `html: true`, values are HTML-escaped (for the html part of an email).
 */
export function renderTemplate(text: string, values: TemplateValues, options: { html?: boolean } = {}): string {
  const missing = templateVariables(text).filter((name) => {
    const value = values[name];
    return value === undefined || value === null || String(value).trim() === '';
  });
  if (missing.length > 0) throw new TemplateRenderError(missing);
  return text.replace(PLACEHOLDER, (_whole, rawName: string) => {
    const value = String(values[rawName.trim()]);
    return options.html ? escapeHtml(value) : value;
  });
}
