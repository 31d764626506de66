import { describe, expect, it } from 'vitest';
import { aClientConfig } from '../../test/fixtures/config/a-client-config.js';
import { ConfigError } from './client-schema.js';
import { DEMO_SECRETS, isDemoSecret, randomSandboxCredentials } from './demo-secrets.js';
import { checkClientSecrets, resolveClientSecrets } from './secrets.js';

const LIVE_ENV = {
  RETELL_API_KEY: 'key_8f2c1e0a9b7d4c3e2f1a0b9c',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: '5f4dcc3b5aa765d61d8327deb882cf99',
  ZOHO_CLIENT_ID: '1000.K3Q9ZV2XW8LMN4P7R1T6',
  ZOHO_CLIENT_SECRET: 'a9f3c2e1d0b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3',
  SMTP_URL: 'smtp://user:pass@smtp.example.com:587',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
};

describe('demo secrets', () => {
  it('are recognised as demo values, and real-looking values are not', () => {
    for (const value of Object.values(DEMO_SECRETS)) expect(isDemoSecret(value)).toBe(true);
    for (const value of Object.values(LIVE_ENV)) expect(isDemoSecret(value)).toBe(false);
    expect(isDemoSecret(undefined)).toBe(false);
  });

  it('recognise a lightly edited copy of a demo value', () => {
    expect(isDemoSecret('key_demo_switchboard_retell_0002')).toBe(true);
  });

  it('include a Twilio SID of the real shape, so the sandbox accepts it', () => {
    expect(DEMO_SECRETS.TWILIO_ACCOUNT_SID).toMatch(/^AC[0-9a-f]{32}$/);
    expect(Buffer.from(DEMO_SECRETS.SWITCHBOARD_SECRET_KEY, 'base64')).toHaveLength(32);
  });
});

describe('resolveClientSecrets', () => {
  const config = aClientConfig();

  it('uses the demo values in demo mode when the environment sets nothing', () => {
    expect(resolveClientSecrets(config, {}, 'demo')).toEqual({
      retellApiKey: 'key_demo_switchboard_retell_0001',
      twilioAccountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID,
      twilioAuthToken: 'demo_twilio_auth_token_switchboard01',
      zohoClientId: '1000.DEMOSWITCHBOARD',
      zohoClientSecret: 'demo_zoho_client_secret_switchboard',
      emulatedVendors: ['retell', 'twilio', 'zoho', 'hubspot', 'smtp', 'slack'],
    });
  });

  it('an office with provider chains gets the Telnyx and SendGrid demo keys in demo mode; live mode refuses them', () => {
    const chained = aClientConfig({
      providers: {
        sms: [{ provider: 'twilio' }, { provider: 'telnyx', from: '+15125550177' }],
        email: [{ provider: 'smtp' }, { provider: 'sendgrid' }],
      },
    });
    const demo = resolveClientSecrets(chained, {}, 'demo');
    expect(demo).toMatchObject({
      telnyxApiKey: DEMO_SECRETS.TELNYX_API_KEY,
      telnyxPublicKey: DEMO_SECRETS.TELNYX_PUBLIC_KEY,
      sendgridApiKey: DEMO_SECRETS.SENDGRID_API_KEY,
      sendgridWebhookKey: DEMO_SECRETS.SENDGRID_WEBHOOK_KEY,
    });
    expect(demo.emulatedVendors).toEqual(expect.arrayContaining(['telnyx', 'sendgrid']));
    const live = {
      ...LIVE_ENV,
      TELNYX_API_KEY: DEMO_SECRETS.TELNYX_API_KEY,
      TELNYX_PUBLIC_KEY: DEMO_SECRETS.TELNYX_PUBLIC_KEY,
      SENDGRID_API_KEY: DEMO_SECRETS.SENDGRID_API_KEY,
      SENDGRID_WEBHOOK_KEY: DEMO_SECRETS.SENDGRID_WEBHOOK_KEY,
    };
    const problems = checkClientSecrets(chained, live, 'live');
    expect(problems.map((problem) => [problem.variable, problem.demo])).toEqual([
      ['TELNYX_API_KEY', true],
      ['TELNYX_PUBLIC_KEY', true],
      ['SENDGRID_API_KEY', true],
      ['SENDGRID_WEBHOOK_KEY', true],
    ]);
  });

  it('lets the environment win in demo mode', () => {
    const secrets = resolveClientSecrets(config, { RETELL_API_KEY: 'key_custom', SMTP_URL: 'smtp://localhost:2525' }, 'demo');
    expect(secrets.retellApiKey).toBe('key_custom');
    expect(secrets.smtpUrl).toBe('smtp://localhost:2525');
  });

  it('returns the real credentials in live mode', () => {
    expect(resolveClientSecrets(config, LIVE_ENV, 'live')).toEqual({
      retellApiKey: LIVE_ENV.RETELL_API_KEY,
      twilioAccountSid: LIVE_ENV.TWILIO_ACCOUNT_SID,
      twilioAuthToken: LIVE_ENV.TWILIO_AUTH_TOKEN,
      zohoClientId: LIVE_ENV.ZOHO_CLIENT_ID,
      zohoClientSecret: LIVE_ENV.ZOHO_CLIENT_SECRET,
      smtpUrl: LIVE_ENV.SMTP_URL,
      slackWebhookUrl: LIVE_ENV.SLACK_WEBHOOK_URL,
      emulatedVendors: [],
    });
  });

  it('throws in live mode when a secret is missing, naming the variable and the config key', () => {
    const env = { ...LIVE_ENV, ZOHO_CLIENT_SECRET: undefined };
    expect(() => resolveClientSecrets(config, env, 'live')).toThrow(ConfigError);
    expect(() => resolveClientSecrets(config, env, 'live')).toThrow(
      /desert-bookkeeping\.json: zoho\.clientSecretEnv: environment variable ZOHO_CLIENT_SECRET is not set/,
    );
  });

  it('throws in live mode when a secret holds a demo value', () => {
    const env = { ...LIVE_ENV, TWILIO_AUTH_TOKEN: DEMO_SECRETS.TWILIO_AUTH_TOKEN };
    expect(checkClientSecrets(config, env, 'live')).toEqual([
      {
        path: 'twilio.authTokenEnv',
        variable: 'TWILIO_AUTH_TOKEN',
        message: expect.stringMatching(/holds a public demo value; live mode refuses demo secrets/),
        demo: true,
      },
    ]);
  });

  it('checks the shape of live values that have one', () => {
    const env = { ...LIVE_ENV, TWILIO_ACCOUNT_SID: 'SK123', SMTP_URL: 'mail.example.com', SLACK_WEBHOOK_URL: 'http://x' };
    expect(checkClientSecrets(config, env, 'live').map((p) => p.variable)).toEqual(['TWILIO_ACCOUNT_SID', 'SMTP_URL', 'SLACK_WEBHOOK_URL']);
  });

  it('treats a blank variable as missing', () => {
    expect(checkClientSecrets(config, { ...LIVE_ENV, RETELL_API_KEY: '  ' }, 'live')).toEqual([
      expect.objectContaining({ path: 'retell.apiKeyEnv', variable: 'RETELL_API_KEY' }),
    ]);
  });

  it('keeps a vendor with no credentials on its emulator under SANDBOX=1, but not a half-configured one', () => {
    const onlyRetell = { RETELL_API_KEY: LIVE_ENV.RETELL_API_KEY, SANDBOX: '1' };
    const secrets = resolveClientSecrets(config, onlyRetell, 'live');
    expect(secrets.retellApiKey).toBe(LIVE_ENV.RETELL_API_KEY);
    expect(secrets.emulatedVendors).toEqual(['twilio', 'zoho', 'smtp', 'slack']);
    expect(secrets.smtpUrl).toBeUndefined();

    const halfTwilio = { ...onlyRetell, TWILIO_ACCOUNT_SID: LIVE_ENV.TWILIO_ACCOUNT_SID };
    expect(checkClientSecrets(config, halfTwilio, 'live')).toEqual([expect.objectContaining({ path: 'twilio.authTokenEnv', variable: 'TWILIO_AUTH_TOKEN' })]);
  });

  it('never gives an emulated vendor a public demo value in live mode with SANDBOX=1', () => {
    const secrets = resolveClientSecrets(config, { SANDBOX: '1' }, 'live');
    expect(secrets.emulatedVendors).toEqual(['retell', 'twilio', 'zoho', 'smtp', 'slack']);
    for (const value of [secrets.retellApiKey, secrets.twilioAccountSid, secrets.twilioAuthToken, secrets.zohoClientId, secrets.zohoClientSecret]) {
      expect(value.length).toBeGreaterThan(15);
      expect(isDemoSecret(value)).toBe(false);
    }
    expect(secrets.twilioAccountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(resolveClientSecrets(config, { SANDBOX: '1' }, 'live').retellApiKey).not.toBe(secrets.retellApiKey);

    const shared = randomSandboxCredentials();
    expect(resolveClientSecrets(config, { SANDBOX: '1' }, 'live', {}, shared)).toMatchObject({
      retellApiKey: shared.RETELL_API_KEY,
      twilioAuthToken: shared.TWILIO_AUTH_TOKEN,
      zohoClientSecret: shared.ZOHO_CLIENT_SECRET,
    });
  });

  it('does not ask for Slack when the client turned Slack alerts off', () => {
    const noSlack = aClientConfig({ alerts: { slackWebhookEnv: null } });
    const secrets = resolveClientSecrets(noSlack, { ...LIVE_ENV, SLACK_WEBHOOK_URL: undefined }, 'live');
    expect(secrets.slackWebhookUrl).toBeUndefined();
  });
});
