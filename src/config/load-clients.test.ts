import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aClientConfigInput, aConfigDir } from '../../test/fixtures/config/a-client-config.js';
import { ConfigError, loadClientConfigs, type ConfigProblem } from './load-clients.js';

const SHIPPED_DIR = fileURLToPath(new URL('../../config/clients', import.meta.url));
const BAD_DIR = fileURLToPath(new URL('../../test/fixtures/config/bad-clients', import.meta.url));
const EMPTY_DIR = fileURLToPath(new URL('../../test/fixtures/config/empty', import.meta.url));

/** Real-looking (non-demo) credentials for every default variable. */
const LIVE_ENV = {
  RETELL_API_KEY: 'key_8f2c1e0a9b7d4c3e2f1a0b9c',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: '5f4dcc3b5aa765d61d8327deb882cf99',
  ZOHO_CLIENT_ID: '1000.K3Q9ZV2XW8LMN4P7R1T6',
  ZOHO_CLIENT_SECRET: 'a9f3c2e1d0b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3',
  SMTP_URL: 'smtps://apikey:secret@smtp.example.com:465',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-7c1e2d3f-0000-4a5b-8c9d-0123456789ab',
  GOOGLE_CLIENT_ID: '48213377001-k3q9zv2xw8lmn4p7r1t6.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: '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',
  MICROSOFT_CLIENT_ID: '3f1c2b1a-7d6e-4f5a-8b9c-0d1e2f3a4b5c',
  MICROSOFT_CLIENT_SECRET: 'Qx8~a9f3c2e1d0b8a7f6e5d4c3b2a1f0e9d8c7',
};

/** The shipped demo offices: one per calendar provider (Zoho twice, Google, Microsoft 365). */
const SHIPPED = ['desert-bookkeeping', 'harbor-law', 'riverside-physio', 'smart-tax-nation'];

function problemsFrom(load: () => unknown): ConfigProblem[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loading client configs', () => {
  it('loads the shipped configs in demo mode with no environment at all', () => {
    const configs = loadClientConfigs({ dir: SHIPPED_DIR, mode: 'demo', env: {} });
    expect(configs.map((c) => c.slug)).toEqual(SHIPPED);
    expect(configs.map((c) => `${c.calendar.provider}+${c.crm.provider}`)).toEqual(['zoho+zoho', 'microsoft+hubspot', 'google+none', 'zoho+zoho']);
  });

  it('loads the shipped configs in live mode when every secret is set to a real-looking value', () => {
    expect(loadClientConfigs({ dir: SHIPPED_DIR, mode: 'live', env: LIVE_ENV })).toHaveLength(SHIPPED.length);
  });

  it('ships Smart Tax Nation as a New York tax office with split weekday hours and a long April 15', () => {
    const stn = loadClientConfigs({ dir: SHIPPED_DIR, mode: 'demo', env: {} }).find((c) => c.slug === 'smart-tax-nation')!;
    expect(stn.timezone).toBe('America/New_York');
    expect(stn.businessHours.monday).toEqual([
      { open: '09:00', close: '12:00' },
      { open: '13:00', close: '19:00' },
    ]);
    expect(stn.businessHours.saturday).toEqual([{ open: '10:00', close: '16:00' }]);
    expect(stn.businessHours.sunday).toEqual([]);
    expect(stn.specialHours['2027-04-15']).toEqual([{ open: '08:00', close: '21:00' }]);
    expect(stn.closures.map((c) => c.from)).toEqual(['2026-11-26', '2026-12-25', '2027-01-01', '2027-01-18', '2027-02-15']);
    expect(stn.appointmentTypes.map((t) => [t.id, t.durationMinutes])).toEqual([
      ['individual-return', 60],
      ['business-return', 90],
      ['tax-consultation', 30],
      ['document-drop-off', 15],
    ]);
    expect(stn.appointmentTypes[0]?.whatToBring).toMatch(/W-2s.*1099s.*photo ID.*Social Security cards/);
    expect(stn.retell.agentIds).toEqual(['agent_stn_demo_0001', 'agent_stn_demo_es_0001']);
    expect(stn.retell.agentLanguages).toEqual({ agent_stn_demo_0001: 'en-US', agent_stn_demo_es_0001: 'es-419' });
    expect(stn.zoho?.calendarId).toBe('stn-appointments');
    expect(stn.zoho?.crm.fieldMap.smsOptOut).toBe('SMS_Opt_Out');
  });

  it('ships SMS templates that are plain ASCII (one GSM-7 encoding, cheaper segments) and name the office', () => {
    for (const config of loadClientConfigs({ dir: SHIPPED_DIR, mode: 'demo', env: {} })) {
      for (const [kind, text] of Object.entries(config.templates.sms)) {
        expect(text, `${config.slug} ${kind}`).toMatch(/^[\x20-\x7e]+$/);
        expect(text, `${config.slug} ${kind}`).toContain('{{office_name}}');
      }
    }
  });

  it('reports every problem of every bad file at once, each with file, path and reason', () => {
    const problems = problemsFrom(() => loadClientConfigs({ dir: BAD_DIR, mode: 'demo', env: {} }));
    expect(problems).toEqual([
      { file: 'bad-zone.json', path: 'timezone', message: expect.stringMatching(/not a known IANA time zone/) },
      {
        file: 'broken-json.json',
        path: '',
        message: expect.stringMatching(/^invalid JSON at line 5, column 1: /),
      },
      {
        file: 'copy-of-good-office.json',
        path: 'slug',
        message: expect.stringMatching(/"good-office" but the file is copy-of-good-office\.json/),
      },
      {
        file: 'open-after-close.json',
        path: 'businessHours.tuesday[0]',
        message: 'opens at 17:00 but closes at 09:00; open must be before close',
      },
      {
        file: 'overlapping-hours.json',
        path: 'businessHours.monday[1]',
        message: 'overlaps range [0] (09:00-12:00) on the same day',
      },
      {
        file: 'unknown-variable.json',
        path: 'templates.sms.confirmation',
        message: expect.stringMatching(/^unknown template variable \{\{firstname\}\}/),
      },
      {
        file: 'good-office.json',
        path: 'slug',
        message: 'duplicate slug "good-office" (also in copy-of-good-office.json)',
      },
      {
        file: 'good-office.json',
        path: 'retell.agentIds[0]',
        message: expect.stringMatching(/agent_good_office is also used by copy-of-good-office\.json/),
      },
    ]);
  });

  it('lists each problem as "file: path: reason" on its own line in the error message', () => {
    let message = '';
    try {
      loadClientConfigs({ dir: BAD_DIR, mode: 'demo', env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/is invalid \(8 problems\):$/);
    expect(lines).toContain('overlapping-hours.json: businessHours.monday[1]: overlaps range [0] (09:00-12:00) on the same day');
    expect(lines.some((line) => line.startsWith('broken-json.json: invalid JSON at line 5'))).toBe(true);
  });

  it('fails when the directory has no config files, and when it does not exist', () => {
    expect(problemsFrom(() => loadClientConfigs({ dir: EMPTY_DIR, mode: 'demo', env: {} }))).toEqual([
      { file: EMPTY_DIR, path: '', message: expect.stringMatching(/no client config files/) },
    ]);
    expect(problemsFrom(() => loadClientConfigs({ dir: `${EMPTY_DIR}/missing`, mode: 'demo', env: {} }))).toEqual([
      { file: `${EMPTY_DIR}/missing`, path: '', message: expect.stringMatching(/directory does not exist/) },
    ]);
  });

  it('reports a JSON file that ends early', () => {
    const dir = aConfigDir({ truncated: '{ "slug": "truncated",' });
    expect(problemsFrom(() => loadClientConfigs({ dir, mode: 'demo', env: {} }))).toEqual([
      { file: 'truncated.json', path: '', message: expect.stringMatching(/^invalid JSON/) },
    ]);
  });
});

describe('secrets when loading in live mode', () => {
  const office = (slug: string, overrides: Record<string, unknown> = {}) =>
    aClientConfigInput({ slug, retell: { agentIds: [`agent_${slug.replace(/-/g, '_')}`] }, ...overrides });

  it('names the missing variable and the config path that names it', () => {
    const env = { ...LIVE_ENV, TWILIO_AUTH_TOKEN: undefined };
    expect(problemsFrom(() => loadClientConfigs({ dir: SHIPPED_DIR, mode: 'live', env }))).toEqual(
      SHIPPED.map((slug, index) => ({
        file: `${slug}.json`,
        path: 'twilio.authTokenEnv',
        message:
          index === 0
            ? expect.stringMatching(/environment variable TWILIO_AUTH_TOKEN is not set; live mode needs it/)
            : expect.stringMatching(/TWILIO_AUTH_TOKEN is not set/),
      })),
    );
    const withoutGoogle = { ...LIVE_ENV, GOOGLE_CLIENT_ID: undefined, GOOGLE_CLIENT_SECRET: undefined };
    expect(problemsFrom(() => loadClientConfigs({ dir: SHIPPED_DIR, mode: 'live', env: withoutGoogle }))).toEqual([
      {
        file: 'riverside-physio.json',
        path: 'calendar.provider',
        message: expect.stringMatching(/GOOGLE_CLIENT_ID \/ GOOGLE_CLIENT_SECRET is not set; live mode needs the deployment's Google Calendar OAuth app/),
      },
    ]);
  });

  it('follows the variable names a config chooses', () => {
    const dir = aConfigDir({ 'north-office': office('north-office', { retell: { agentIds: ['agent_north'], apiKeyEnv: 'NORTH_RETELL_KEY' } }) });
    expect(problemsFrom(() => loadClientConfigs({ dir, mode: 'live', env: LIVE_ENV }))).toEqual([
      { file: 'north-office.json', path: 'retell.apiKeyEnv', message: expect.stringMatching(/NORTH_RETELL_KEY is not set/) },
    ]);
    expect(loadClientConfigs({ dir, mode: 'live', env: { ...LIVE_ENV, NORTH_RETELL_KEY: 'key_real_north_7781' } })).toHaveLength(1);
  });

  it('refuses a demo secret in live mode', () => {
    const env = { ...LIVE_ENV, RETELL_API_KEY: 'key_demo_switchboard_retell_0001' };
    const problems = problemsFrom(() => loadClientConfigs({ dir: SHIPPED_DIR, mode: 'live', env }));
    expect(problems).toHaveLength(SHIPPED.length);
    expect(problems[0]).toEqual({
      file: 'desert-bookkeeping.json',
      path: 'retell.apiKeyEnv',
      message: expect.stringMatching(/RETELL_API_KEY holds a public demo value; live mode refuses demo secrets/),
    });
  });

  it('reports schema and secret problems of different files together', () => {
    const dir = aConfigDir({
      'good-office': office('good-office'),
      'bad-office': office('bad-office', { timezone: 'Atlantis/Capital' }),
    });
    const problems = problemsFrom(() => loadClientConfigs({ dir, mode: 'live', env: { ...LIVE_ENV, SMTP_URL: '' } }));
    expect(problems.map((p) => `${p.file} ${p.path}`)).toEqual(['bad-office.json timezone', 'good-office.json email.smtpUrlEnv']);
  });

  it('keeps unconfigured vendors on their emulators with SANDBOX=1', () => {
    const offices = loadClientConfigs({ dir: SHIPPED_DIR, mode: 'live', env: { SANDBOX: '1' } });
    expect(offices).toHaveLength(SHIPPED.length);
  });

  it('accepts missing secrets in demo mode', () => {
    expect(loadClientConfigs({ dir: SHIPPED_DIR, mode: 'demo', env: {} })).toHaveLength(SHIPPED.length);
  });
});
