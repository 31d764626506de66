import { describe, expect, it } from 'vitest';
import { aClientConfig, aClientConfigInput } from '../../test/fixtures/config/a-client-config.js';
import { clientConfigSchema, formatPath, zodProblems } from './client-schema.js';

/** Problems as `path: message` lines, the way an operator reads them. */
function problemsOf(input: Record<string, unknown>): string[] {
  const result = clientConfigSchema.safeParse(input);
  if (result.success) return [];
  return zodProblems('x.json', result.error).map((p) => `${p.path}: ${p.message}`);
}

const monday = (ranges: { open: string; close: string }[]) => aClientConfigInput({ businessHours: { monday: ranges } });

describe('client config schema', () => {
  it('accepts the builder config and fills in every default', () => {
    const config = aClientConfig();
    expect(config.language).toBe('en');
    expect(config.booking).toEqual({
      minimumNoticeMinutes: 120,
      horizonDays: 60,
      slotStepMinutes: 30,
      holdSeconds: 300,
      maxSlotsOffered: 3,
      functionBudgetMs: 6000,
      lateCalendarEvent: 'remove',
    });
    expect(config.retry).toEqual({ maxAttempts: 3, intervalSeconds: 60 });
    expect(config.senders.sms.ratePerSecond).toBe(1);
    expect(config.retell.apiKeyEnv).toBe('RETELL_API_KEY');
    expect(config.retell.redactTranscripts).toBe(true);
    expect(config.twilio).toEqual({ accountSidEnv: 'TWILIO_ACCOUNT_SID', authTokenEnv: 'TWILIO_AUTH_TOKEN' });
    expect(config.email.smtpUrlEnv).toBe('SMTP_URL');
    expect(config.nurture).toEqual({ enabled: true, day1: { afterDays: 1 }, day4: { afterDays: 4 } });
    expect(config.quietHours.marketing).toEqual({ start: '08:00', end: '21:00' });
    expect(config.quietHours.stateOverrides.FL).toEqual({ start: '08:00', end: '20:00', maxMarketingPer24h: 3 });
    expect(config.zoho?.dataCenter).toBe('us');
    expect(config.zoho?.crm.leadSource).toBe('AI Receptionist');
    expect(config.zoho?.crm.statusMap.booked).toBeTruthy();
    expect(config.appointmentTypes[1]?.bufferMinutes).toBe(0);
  });

  it('defaults alert emails to the admin emails and the CRM company to the office name', () => {
    const config = aClientConfig();
    expect(config.alerts.emails).toEqual(config.adminEmails);
    expect(config.zoho?.crm.company).toBe('Desert Bookkeeping');
    expect(aClientConfig({ alerts: { emails: ['ops@example.com'] } }).alerts.emails).toEqual(['ops@example.com']);
  });

  it('normalises a one-day closure to a from/to range', () => {
    const config = aClientConfig({ closures: [{ date: '2027-07-05', reason: 'Independence Day (observed)' }] });
    expect(config.closures).toEqual([{ from: '2027-07-05', to: '2027-07-05', reason: 'Independence Day (observed)' }]);
  });

  it('catches typos in keys because objects are strict', () => {
    expect(problemsOf(aClientConfigInput({ booking: { horizonDay: 30 } }))).toEqual([expect.stringMatching(/^booking: .*horizonDay/)]);
  });

  it('rejects an unknown time zone', () => {
    expect(problemsOf(aClientConfigInput({ timezone: 'Mars/Olympus' }))).toEqual(['timezone: is not a known IANA time zone, e.g. "America/New_York"']);
  });

  it('rejects phone numbers that are not valid E.164', () => {
    expect(problemsOf(aClientConfigInput({ officePhone: '602-555-0117' }))).toEqual([
      expect.stringMatching(/^officePhone: must be a valid phone number in E.164/),
    ]);
    expect(problemsOf(aClientConfigInput({ officePhone: '+1555' }))).toHaveLength(1);
  });

  it('reports a range that opens at or after it closes', () => {
    expect(problemsOf(monday([{ open: '12:00', close: '12:00' }]))).toEqual([
      'businessHours.monday[0]: opens at 12:00 but closes at 12:00; open must be before close',
    ]);
  });

  it('reports which ranges of a day overlap', () => {
    expect(
      problemsOf(
        monday([
          { open: '13:00', close: '17:00' },
          { open: '09:00', close: '12:00' },
          { open: '11:00', close: '14:00' },
        ]),
      ),
    ).toEqual([
      'businessHours.monday[2]: overlaps range [1] (09:00-12:00) on the same day',
      'businessHours.monday[2]: overlaps range [0] (13:00-17:00) on the same day',
    ]);
  });

  it('accepts back-to-back ranges, several per day, and a close at 24:00', () => {
    expect(
      problemsOf(
        monday([
          { open: '09:00', close: '12:00' },
          { open: '12:00', close: '18:00' },
          { open: '20:00', close: '24:00' },
        ]),
      ),
    ).toEqual([]);
  });

  it('rejects badly written times', () => {
    expect(problemsOf(monday([{ open: '9:00', close: '17:00' }]))).toEqual(['businessHours.monday[0].open: must be a 24-hour time "HH:mm", e.g. "09:00"']);
  });

  it('requires all seven days so a forgotten day is not silently closed', () => {
    expect(problemsOf(aClientConfigInput({ businessHours: { sunday: undefined } }))).toEqual([expect.stringMatching(/^businessHours\.sunday: /)]);
  });

  it('validates special hours like business hours and flags a date that is also a closure', () => {
    expect(problemsOf(aClientConfigInput({ specialHours: { '2027-04-15': [{ open: '21:00', close: '08:00' }] } }))).toEqual([
      'specialHours.2027-04-15[0]: opens at 21:00 but closes at 08:00; open must be before close',
    ]);
    expect(problemsOf(aClientConfigInput({ specialHours: { '2026-12-25': [] } }))).toEqual([
      'specialHours.2026-12-25: 2026-12-25 is also listed as closed (Holiday break); remove one of the two',
    ]);
  });

  it('rejects closures that are not real dates, backwards ranges, or both shapes at once', () => {
    expect(problemsOf(aClientConfigInput({ closures: [{ date: '2027-02-30', reason: 'x' }] }))).toEqual(['closures[0].date: is not a real calendar date']);
    expect(problemsOf(aClientConfigInput({ closures: [{ from: '2027-03-02', to: '2027-03-01', reason: 'x' }] }))).toEqual([
      'closures[0].to: ends (2027-03-01) before it starts (2027-03-02)',
    ]);
    expect(problemsOf(aClientConfigInput({ closures: [{ date: '2027-03-01', from: '2027-03-01', to: '2027-03-02', reason: 'x' }] }))).toEqual([
      'closures[0]: use either "date" or "from"/"to", not both',
    ]);
  });

  it('requires unique appointment type ids, at least one type, and at most one default', () => {
    const types = aClientConfigInput().appointmentTypes as { id: string; default?: boolean }[];
    expect(problemsOf(aClientConfigInput({ appointmentTypes: [types[0], { ...types[1], id: types[0]!.id }] }))).toEqual([
      'appointmentTypes[1].id: duplicate id "bookkeeping-review" (also [0])',
    ]);
    expect(problemsOf(aClientConfigInput({ appointmentTypes: [] }))).toEqual(['appointmentTypes: needs at least one appointment type']);
    expect(problemsOf(aClientConfigInput({ appointmentTypes: [types[0], { ...types[1], default: true }] }))).toEqual([
      'appointmentTypes: only one appointment type may be marked "default": true',
    ]);
  });

  it('reports a template with an unknown variable at the template path', () => {
    expect(problemsOf(aClientConfigInput({ templates: { sms: { reminder_1h: 'Hi {{ firstname }}' } } }))).toEqual([
      expect.stringMatching(/^templates\.sms\.reminder_1h: unknown template variable \{\{firstname\}\}; sms reminder_1h may use first_name,/),
    ]);
    expect(problemsOf(aClientConfigInput({ templates: { email: { cancelled: { subject: 'Bye {{nme}}' } } } }))).toEqual([
      expect.stringMatching(/^templates\.email\.cancelled\.subject: unknown template variable \{\{nme\}\}/),
    ]);
  });

  it('reports unbalanced braces in a template', () => {
    expect(problemsOf(aClientConfigInput({ templates: { sms: { reminder_1h: 'Hi {{first_name}, soon!' } } }))).toEqual([
      'templates.sms.reminder_1h: has unbalanced braces; write variables as {{name}}',
    ]);
  });

  it('requires every SMS kind, and opt-out language in marketing texts', () => {
    expect(problemsOf(aClientConfigInput({ templates: { sms: { opt_out_confirmation: undefined } } }))).toEqual([
      expect.stringMatching(/^templates\.sms\.opt_out_confirmation: /),
    ]);
    expect(problemsOf(aClientConfigInput({ templates: { sms: { nurture_day4: '{{office_name}}: call us at {{office_phone}}!' } } }))).toEqual([
      'templates.sms.nurture_day4: is a marketing text and must include {{opt_out_text}} or "STOP"',
    ]);
  });

  it('requires the appointment and nurture email kinds but not an opt-out confirmation email', () => {
    expect(problemsOf(aClientConfigInput({ templates: { email: { reminder_24h: undefined } } }))).toEqual([
      expect.stringMatching(/^templates\.email\.reminder_24h: /),
    ]);
    expect(aClientConfig().templates.email.opt_out_confirmation).toBeUndefined();
  });

  it('needs exactly one SMS sender: a number or a messaging service', () => {
    expect(problemsOf(aClientConfigInput({ senders: { sms: { from: undefined } } }))).toEqual([
      'senders.sms: set exactly one of "from" (a phone number) or "messagingServiceSid"',
    ]);
    const service = aClientConfig({ senders: { sms: { from: undefined, messagingServiceSid: `MG${'a1'.repeat(16)}` } } });
    expect(service.senders.sms.messagingServiceSid).toMatch(/^MG/);
  });

  it('wants the email sender as "Name <address>"', () => {
    expect(problemsOf(aClientConfigInput({ senders: { email: { from: 'hello@desertbookkeeping.example' } } }))).toEqual([
      'senders.email.from: must look like "Office Name <address@example.com>"',
    ]);
  });

  it('accepts only US state codes in quiet-hour overrides', () => {
    expect(problemsOf(aClientConfigInput({ quietHours: { stateOverrides: { XX: { start: '08:00', end: '20:00' } } } }))).toEqual([
      expect.stringMatching(/^quietHours\.stateOverrides\.XX: /),
    ]);
    const texas = aClientConfig({ quietHours: { stateOverrides: { TX: { start: '09:00', end: '21:00' } } } });
    expect(texas.quietHours.stateOverrides).toEqual({ TX: { start: '09:00', end: '21:00' } });
  });

  it('rejects unknown Zoho data centers and CRM outcomes', () => {
    expect(problemsOf(aClientConfigInput({ zoho: { dataCenter: 'uk' } }))).toEqual([expect.stringMatching(/^zoho\.dataCenter: /)]);
    expect(problemsOf(aClientConfigInput({ zoho: { crm: { statusMap: { no_show: 'Lost Lead' } } } }))).toEqual([
      expect.stringMatching(/^zoho\.crm\.statusMap: .*no_show/),
    ]);
  });

  it("takes the office's choice for a calendar event made after the caller was offered a callback, and nothing else", () => {
    expect(aClientConfig({ booking: { lateCalendarEvent: 'keep_and_confirm' } }).booking.lateCalendarEvent).toBe('keep_and_confirm');
    expect(problemsOf(aClientConfigInput({ booking: { lateCalendarEvent: 'keep' } }))).toEqual([expect.stringMatching(/^booking\.lateCalendarEvent: /)]);
  });

  it('counts unmarked appointments as missed only when asked, and only with the rebook it plans', () => {
    expect(aClientConfig().followUps.afterAppointment.unmarkedMissedAfterHours).toBeUndefined();
    expect(problemsOf(aClientConfigInput({ followUps: { afterAppointment: { rebook: true, unmarkedMissedAfterHours: 4 } } }))).toEqual([]);
    expect(problemsOf(aClientConfigInput({ followUps: { afterAppointment: { unmarkedMissedAfterHours: 4 } } }))).toEqual([
      'followUps.afterAppointment.unmarkedMissedAfterHours: counting unmarked appointments as missed plans the rebook: turn rebook on, or remove unmarkedMissedAfterHours',
    ]);
    expect(problemsOf(aClientConfigInput({ followUps: { afterAppointment: { rebook: true, unmarkedMissedAfterHours: 0 } } }))[0]).toMatch(
      /^followUps\.afterAppointment\.unmarkedMissedAfterHours: /,
    );
  });

  it('lets Slack alerts be turned off explicitly', () => {
    expect(aClientConfig({ alerts: { slackWebhookEnv: null } }).alerts.slackWebhookEnv).toBeNull();
  });

  it('allows an office with no Retell agent yet (being onboarded) and checks the form of each agent id', () => {
    expect(problemsOf(aClientConfigInput({ retell: { agentIds: [] } }))).toEqual([]);
    expect(problemsOf(aClientConfigInput({ retell: { agentIds: ['bot_1'] } }))).toEqual(['retell.agentIds[0]: must be a Retell agent id ("agent_…")']);
  });

  it('reports several problems at once', () => {
    const problems = problemsOf(
      aClientConfigInput({
        timezone: 'Nowhere/Town',
        businessHours: { friday: [{ open: '18:00', close: '08:00' }] },
        templates: { sms: { cancelled: '{{oops}}' } },
      }),
    );
    expect(problems.map((line) => line.split(':')[0])).toEqual(['timezone', 'businessHours.friday[0]', 'templates.sms.cancelled']);
  });
});

describe('formatPath', () => {
  it('writes JSON paths with dots for keys and brackets for indexes', () => {
    expect(formatPath(['businessHours', 'monday', 1])).toBe('businessHours.monday[1]');
    expect(formatPath([0, 'id'])).toBe('[0].id');
    expect(formatPath([])).toBe('');
  });
});
