/**
 * Issue 20: an office chooses its calendar and its CRM in its document, independently. A document written before
 * the choice existed means Zoho Calendar + Zoho CRM (or no CRM when zoho.crm.enabled is false), and each vendor's
 * credentials are asked for only when the office uses that vendor.
 */
import { describe, expect, it } from 'vitest';
import { aClientConfig, aClientConfigInput } from '../../test/fixtures/config/a-client-config.js';
import { clientConfigSchema, zodProblems } from './client-schema.js';
import { checkClientSecrets, resolveClientSecrets } from './secrets.js';

const problemsOf = (input: Record<string, unknown>) => {
  const result = clientConfigSchema.safeParse(input);
  return result.success ? [] : zodProblems('x.json', result.error).map((p) => `${p.path}: ${p.message}`);
};

describe('calendar and CRM providers in the office document', () => {
  it('reads a document without a choice as Zoho Calendar and Zoho CRM, with Zoho status words, as before', () => {
    const config = aClientConfig();
    expect(config.calendar).toEqual({ provider: 'zoho' });
    expect(config.crm).toMatchObject({ provider: 'zoho', enabled: true, statusMap: config.zoho!.crm.statusMap, syncWaitMinutesWithoutAnalysis: 10 });
    expect(aClientConfig({ zoho: { crm: { syncWaitMinutesWithoutAnalysis: 5 } } }).crm.syncWaitMinutesWithoutAnalysis).toBe(5);
  });

  it('reads zoho.crm.enabled false as no CRM, and crm.provider none turns sync off', () => {
    expect(aClientConfig({ zoho: { crm: { enabled: false } } }).crm).toMatchObject({ provider: 'none', enabled: false });
    expect(aClientConfig({ crm: { provider: 'none' } }).crm).toMatchObject({ provider: 'none', enabled: false });
  });

  it("takes HubSpot as the CRM with HubSpot's lead status words, the calendar staying Zoho", () => {
    const config = aClientConfig({ crm: { provider: 'hubspot' }, hubspot: { statusMap: { booked: 'IN_PROGRESS' } } });
    expect(config.calendar.provider).toBe('zoho');
    expect(config.crm).toMatchObject({ provider: 'hubspot', enabled: true });
    expect(config.crm.statusMap).toMatchObject({ booked: 'IN_PROGRESS', info_only: 'CONNECTED', opted_out: 'UNQUALIFIED' });
    expect(aClientConfig({ crm: { provider: 'hubspot' } }).crm.statusMap.booked).toBe('OPEN_DEAL');
  });

  it('needs no zoho settings when neither the calendar nor the CRM is Zoho, and names them when one is', () => {
    const withoutZoho = aClientConfigInput({ zoho: undefined, calendar: { provider: 'google' }, google: {}, crm: { provider: 'hubspot' } });
    expect(problemsOf(withoutZoho)).toEqual([]);
    expect(problemsOf(aClientConfigInput({ zoho: undefined, calendar: { provider: 'microsoft' }, microsoft: {} }))).toEqual([
      expect.stringMatching(/^zoho: is required while crm\.provider is "zoho"/),
    ]);
    expect(problemsOf(aClientConfigInput({ zoho: undefined, crm: { provider: 'none' } }))).toEqual([
      expect.stringMatching(/^zoho: is required while calendar\.provider is "zoho"/),
    ]);
    expect(problemsOf(aClientConfigInput({ calendar: { provider: 'outlook' } }))).toEqual([expect.stringMatching(/^calendar\.provider: /)]);
    expect(problemsOf(aClientConfigInput({ crm: { provider: 'zoho' }, zoho: { crm: { enabled: false } } }))).toEqual([
      expect.stringMatching(/^crm\.provider: is "zoho" but zoho\.crm\.enabled is false/),
    ]);
  });

  it('asks live mode for the credentials of the vendors the office uses, and no others', () => {
    const env = {
      RETELL_API_KEY: 'key_live',
      TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'live-token',
      SMTP_URL: 'smtp://mail.example.com',
      SLACK_WEBHOOK_URL: 'https://hooks.example.com/x',
    };
    const zohoBoth = checkClientSecrets(aClientConfig(), env, 'live').map((problem) => problem.variable);
    expect(zohoBoth).toEqual(['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET']);

    const hubspotCrm = aClientConfig({ zoho: undefined, calendar: { provider: 'google' }, google: {}, crm: { provider: 'hubspot' } });
    expect(checkClientSecrets(hubspotCrm, env, 'live').map((problem) => problem.variable)).toEqual(['HUBSPOT_ACCESS_TOKEN', 'GOOGLE_CLIENT_ID']);
    Object.assign(env, { GOOGLE_CLIENT_ID: 'live-app.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'live-google-secret' });
    expect(checkClientSecrets(hubspotCrm, env, 'live').map((problem) => problem.variable)).toEqual(['HUBSPOT_ACCESS_TOKEN']);
    expect(checkClientSecrets(hubspotCrm, { ...env, HUBSPOT_ACCESS_TOKEN: 'pat-demo-switchboard-hubspot-0001' }, 'live')).toEqual([
      expect.objectContaining({ path: 'hubspot.accessTokenEnv', demo: true }),
    ]);
    const secrets = resolveClientSecrets(hubspotCrm, { ...env, HUBSPOT_ACCESS_TOKEN: 'pat-na1-0000-live' }, 'live');
    expect(secrets.hubspotAccessToken).toBe('pat-na1-0000-live');
    expect(secrets.zohoClientId).toBe('');
  });

  it("needs the google or microsoft block while the calendar is that provider; each defaults to the account's own calendar", () => {
    expect(problemsOf(aClientConfigInput({ calendar: { provider: 'google' } }))).toEqual([
      expect.stringMatching(/^google: is required while calendar\.provider is "google"/),
    ]);
    expect(problemsOf(aClientConfigInput({ calendar: { provider: 'microsoft' } }))).toEqual([
      expect.stringMatching(/^microsoft: is required while calendar\.provider is "microsoft"/),
    ]);
    expect(aClientConfig({ calendar: { provider: 'google' }, google: {} }).google).toEqual({ calendarId: 'primary' });
    expect(aClientConfig({ calendar: { provider: 'microsoft' }, microsoft: { scheduleAddress: false } }).microsoft).toEqual({ scheduleAddress: false });
    expect(problemsOf(aClientConfigInput({ calendar: { provider: 'microsoft' }, microsoft: { scheduleAddress: 'not an address' } }))).toEqual([
      expect.stringMatching(/^microsoft\.scheduleAddress: /),
    ]);
  });

  it('keeps an office on the Google or Microsoft emulator under SANDBOX=1 when the deployment has no OAuth app, and refuses it in live mode otherwise', () => {
    const env = {
      RETELL_API_KEY: 'key_live',
      TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'live-token',
      SMTP_URL: 'smtp://mail.example.com',
      SLACK_WEBHOOK_URL: 'https://hooks.example.com/x',
    };
    const outlook = aClientConfig({ zoho: undefined, calendar: { provider: 'microsoft' }, microsoft: {}, crm: { provider: 'none' } });
    expect(checkClientSecrets(outlook, env, 'live')).toEqual([
      expect.objectContaining({
        path: 'calendar.provider',
        variable: 'MICROSOFT_CLIENT_ID',
        message: expect.stringContaining('MICROSOFT_CLIENT_ID / MICROSOFT_CLIENT_SECRET is not set'),
      }),
    ]);
    expect(resolveClientSecrets(outlook, { ...env, SANDBOX: '1' }, 'live').emulatedVendors).toEqual(['microsoft']);
    const live = resolveClientSecrets(
      outlook,
      { ...env, MICROSOFT_CLIENT_ID: '3f1c2b1a-0000-4000-8000-000000000001', MICROSOFT_CLIENT_SECRET: 'live~secret' },
      'live',
    );
    expect(live.emulatedVendors).toEqual([]);
    expect(resolveClientSecrets(outlook, {}, 'demo').emulatedVendors).toContain('microsoft');
    expect(resolveClientSecrets(aClientConfig(), {}, 'demo').emulatedVendors).not.toContain('microsoft');
  });
});
