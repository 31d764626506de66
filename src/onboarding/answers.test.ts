import { describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../config/client-schema.js';
import { calendarAnswers, officeDocumentFrom, type OnboardingAnswers } from './answers.js';

const basics = {
  name: 'Oak Legal',
  slug: 'oak-legal',
  address: '1 Main St, Springfield, IL 62701',
  officePhone: '+12175550100',
  officeEmail: 'office@oaklegal.example',
  timezone: 'America/Chicago',
};

function documentFor(calendar: unknown) {
  const answers: OnboardingAnswers = { basics, pack: { pack: 'legal' }, calendar: calendarAnswers.parse(calendar) };
  return officeDocumentFrom(answers)!;
}

describe("the calendar step's provider choices in the office document", () => {
  it('keeps the document of an office that answered only a Zoho calendar as it was before the choice existed', () => {
    const document = documentFor({ calendarId: 'oak-appointments' });
    expect(document).toMatchObject({ zoho: { calendarId: 'oak-appointments' } });
    expect(document).not.toHaveProperty('calendar');
    expect(document).not.toHaveProperty('crm');
    expect(document).not.toHaveProperty('google');
  });

  it('books in Google Calendar with HubSpot as CRM: no Zoho block, and a valid document before a calendar is picked', () => {
    const chosen = documentFor({ provider: 'google', crmProvider: 'hubspot' });
    expect(chosen).toMatchObject({ calendar: { provider: 'google' }, crm: { provider: 'hubspot' }, google: {} });
    expect(chosen).not.toHaveProperty('zoho');
    expect(clientConfigSchema.safeParse(chosen).success).toBe(true);
    expect(documentFor({ provider: 'google', crmProvider: 'hubspot', calendarId: 'team@group.calendar.google.com' }).google).toEqual({
      calendarId: 'team@group.calendar.google.com',
    });
  });

  it('books in Microsoft 365 and keeps Zoho CRM: the Zoho block stays for the CRM, the calendar goes to the microsoft block', () => {
    const document = documentFor({ provider: 'microsoft', calendarId: 'AAMkAGcal=' });
    expect(document).toMatchObject({
      calendar: { provider: 'microsoft' },
      microsoft: { calendarId: 'AAMkAGcal=' },
      zoho: { calendarId: 'oak-legal-appointments' },
    });
    expect(clientConfigSchema.parse(document).crm.provider).toBe('zoho');
    expect(clientConfigSchema.parse(documentFor({ provider: 'microsoft', crmProvider: 'none' })).zoho).toBeUndefined();
  });

  it('refuses a provider nobody offers, naming the choices', () => {
    const result = calendarAnswers.safeParse({ provider: 'outlook' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be one of zoho, google, microsoft');
  });
});
