/**
 * Turns the environment-variable names a client config points at into the client's credentials.
 * Demo mode falls back to the published demo values; live mode insists on real ones, except that with
 * SANDBOX=1 a vendor with no credentials at all stays on its emulator, with per-process random credentials.
 */
import { ConfigError, type ClientConfig } from './client-schema.js';
import { DEMO_SECRETS, isDemoSecret, randomSandboxCredentials, type DemoSecretName, type SandboxCredentials } from './demo-secrets.js';

export type SwitchboardMode = 'demo' | 'live';
export type SecretVendor = 'retell' | 'twilio' | 'zoho' | 'hubspot' | 'google' | 'microsoft' | 'smtp' | 'slack' | 'telnyx' | 'sendgrid';
export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface ClientSecrets {
  retellApiKey: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  /** Undefined when the vendor runs on its emulator; the sandbox supplies its own URL. */
  smtpUrl?: string;
  slackWebhookUrl?: string;
  zohoClientId: string;
  zohoClientSecret: string;
  /** A HubSpot private app's access token, when the office's CRM is HubSpot. */
  hubspotAccessToken?: string;
  /** Only for an office whose `providers.sms` chain lists Telnyx. */
  telnyxApiKey?: string;
  telnyxPublicKey?: string;
  /** Only for an office whose `providers.email` chain lists SendGrid. */
  sendgridApiKey?: string;
  sendgridWebhookKey?: string;
  /** Vendors to wire to the sandbox emulator: all of them in demo mode, the unconfigured ones under SANDBOX=1. */
  emulatedVendors: SecretVendor[];
}

/** A secret problem for one client; `path` is the config key that names `variable`. */
export interface SecretProblem {
  path: string;
  variable: string;
  message: string;
  /** The value is one of the public demo secrets (live mode refuses to start with one). */
  demo?: boolean;
}

export type SecretKey = Exclude<keyof ClientSecrets, 'emulatedVendors'>;

/** Every credential an office can have, in the order the dashboard lists them. */
export const SECRET_KEYS: readonly SecretKey[] = [
  'retellApiKey',
  'twilioAccountSid',
  'twilioAuthToken',
  'smtpUrl',
  'slackWebhookUrl',
  'zohoClientId',
  'zohoClientSecret',
  'hubspotAccessToken',
  'telnyxApiKey',
  'telnyxPublicKey',
  'sendgridApiKey',
  'sendgridWebhookKey',
];

/** The vendor each credential belongs to. */
export const SECRET_VENDOR: Readonly<Record<SecretKey, SecretVendor>> = {
  retellApiKey: 'retell',
  twilioAccountSid: 'twilio',
  twilioAuthToken: 'twilio',
  smtpUrl: 'smtp',
  slackWebhookUrl: 'slack',
  zohoClientId: 'zoho',
  zohoClientSecret: 'zoho',
  hubspotAccessToken: 'hubspot',
  telnyxApiKey: 'telnyx',
  telnyxPublicKey: 'telnyx',
  sendgridApiKey: 'sendgrid',
  sendgridWebhookKey: 'sendgrid',
};

export function isSecretKey(value: string): value is SecretKey {
  return (SECRET_KEYS as readonly string[]).includes(value);
}

/** Credentials typed into the dashboard or CLI for one office (sealed at rest); they win over the environment. */
export type StoredSecrets = Partial<Record<SecretKey, string>>;

interface SecretSpec {
  key: SecretKey;
  vendor: SecretVendor;
  path: string;
  variable: string;
  /** The demo credential that stands in when the vendor is emulated (and its SANDBOX=1 random twin, when it has one). */
  sandboxName?: DemoSecretName;
  /** Shape check for live values; returns what is wrong, or undefined. */
  check?: (value: string) => string | undefined;
}

const VENDOR_NAMES: Record<SecretVendor, string> = {
  retell: 'Retell',
  twilio: 'Twilio',
  zoho: 'Zoho',
  hubspot: 'HubSpot',
  google: 'Google Calendar',
  microsoft: 'Microsoft 365',
  smtp: 'SMTP email',
  slack: 'Slack',
  telnyx: 'Telnyx',
  sendgrid: 'SendGrid',
};

/** Calendar providers whose OAuth app belongs to the deployment (one redirect URL), named by these variables. */
const DEPLOYMENT_OAUTH_APPS = {
  google: ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
  microsoft: ['MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'],
} as const;

function secretSpecs(config: ClientConfig): SecretSpec[] {
  const specs: SecretSpec[] = [
    {
      key: 'retellApiKey',
      vendor: 'retell',
      path: 'retell.apiKeyEnv',
      variable: config.retell.apiKeyEnv,
      sandboxName: 'RETELL_API_KEY',
    },
    {
      key: 'twilioAccountSid',
      vendor: 'twilio',
      path: 'twilio.accountSidEnv',
      variable: config.twilio.accountSidEnv,
      sandboxName: 'TWILIO_ACCOUNT_SID',
      check: (value) => (/^AC[0-9a-f]{32}$/i.test(value) ? undefined : 'is not a Twilio Account SID ("AC" + 32 hex digits)'),
    },
    {
      key: 'twilioAuthToken',
      vendor: 'twilio',
      path: 'twilio.authTokenEnv',
      variable: config.twilio.authTokenEnv,
      sandboxName: 'TWILIO_AUTH_TOKEN',
    },
    {
      key: 'smtpUrl',
      vendor: 'smtp',
      path: 'email.smtpUrlEnv',
      variable: config.email.smtpUrlEnv,
      check: (value) => (/^smtps?:\/\/[^/\s]+/.test(value) ? undefined : 'is not an SMTP URL (smtp://user:pass@host:587 or smtps://…)'),
    },
  ];
  // Zoho's OAuth app only for an office that uses Zoho (calendar or CRM); HubSpot's token only for a HubSpot CRM.
  if (config.zoho && (config.calendar.provider === 'zoho' || config.crm.provider === 'zoho')) {
    specs.push(
      { key: 'zohoClientId', vendor: 'zoho', path: 'zoho.clientIdEnv', variable: config.zoho.clientIdEnv, sandboxName: 'ZOHO_CLIENT_ID' },
      { key: 'zohoClientSecret', vendor: 'zoho', path: 'zoho.clientSecretEnv', variable: config.zoho.clientSecretEnv, sandboxName: 'ZOHO_CLIENT_SECRET' },
    );
  }
  if (config.crm.provider === 'hubspot') {
    const variable = config.hubspot?.accessTokenEnv ?? 'HUBSPOT_ACCESS_TOKEN';
    specs.push({ key: 'hubspotAccessToken', vendor: 'hubspot', path: 'hubspot.accessTokenEnv', variable, sandboxName: 'HUBSPOT_ACCESS_TOKEN' });
  }
  for (const entry of config.providers?.sms ?? []) {
    if (entry.provider !== 'telnyx') continue;
    const index = config.providers!.sms!.indexOf(entry);
    specs.push(
      { key: 'telnyxApiKey', vendor: 'telnyx', path: `providers.sms[${index}].apiKeyEnv`, variable: entry.apiKeyEnv, sandboxName: 'TELNYX_API_KEY' },
      {
        key: 'telnyxPublicKey',
        vendor: 'telnyx',
        path: `providers.sms[${index}].publicKeyEnv`,
        variable: entry.publicKeyEnv,
        sandboxName: 'TELNYX_PUBLIC_KEY',
        check: (value) => (Buffer.from(value, 'base64').length === 32 ? undefined : 'is not a Telnyx public key (32 bytes, base64)'),
      },
    );
  }
  for (const entry of config.providers?.email ?? []) {
    if (entry.provider !== 'sendgrid') continue;
    const index = config.providers!.email!.indexOf(entry);
    specs.push(
      {
        key: 'sendgridApiKey',
        vendor: 'sendgrid',
        path: `providers.email[${index}].apiKeyEnv`,
        variable: entry.apiKeyEnv,
        sandboxName: 'SENDGRID_API_KEY',
        check: (value) => (/^SG\.\S+$/.test(value) ? undefined : 'is not a SendGrid API key ("SG." …)'),
      },
      {
        key: 'sendgridWebhookKey',
        vendor: 'sendgrid',
        path: `providers.email[${index}].webhookKeyEnv`,
        variable: entry.webhookKeyEnv,
        sandboxName: 'SENDGRID_WEBHOOK_KEY',
      },
    );
  }
  if (config.alerts.slackWebhookEnv !== null) {
    specs.push({
      key: 'slackWebhookUrl',
      vendor: 'slack',
      path: 'alerts.slackWebhookEnv',
      variable: config.alerts.slackWebhookEnv,
      check: (value) => (/^https:\/\/\S+$/.test(value) ? undefined : 'is not an https:// Slack incoming-webhook URL'),
    });
  }
  return specs;
}

function readEnv(env: EnvSource, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Every secret problem for one client, without throwing (the loader gathers them across files). */
export function checkClientSecrets(config: ClientConfig, env: EnvSource, mode: SwitchboardMode, stored: StoredSecrets = {}): SecretProblem[] {
  return resolve(config, env, mode, stored).problems;
}

/**
 * The client's credentials. Demo mode: the environment wins, else the demo value. Live mode: a missing,
 * malformed or demo value is an error (ConfigError naming the variable and the config key); with
 * SANDBOX=1 a vendor whose variables are all unset stays on its emulator instead, with `sandbox` credentials
 * (main.ts passes one random set to every client and to the emulators; unset: a fresh random set).
 */
export function resolveClientSecrets(
  config: ClientConfig,
  env: EnvSource,
  mode: SwitchboardMode,
  stored: StoredSecrets = {},
  sandbox?: SandboxCredentials,
): ClientSecrets {
  const { secrets, problems } = resolve(config, env, mode, stored, sandbox);
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((p) => ({ file: `${config.slug}.json`, path: p.path, message: p.message })),
      `Secrets for client "${config.slug}" are not usable in ${mode} mode`,
    );
  }
  return secrets;
}

/**
 * A credential stored for the office (dashboard, CLI) wins over the environment variable its config names,
 * so an agency can set one office's Twilio token without touching the server's environment.
 */
export function resolveSecretsWithProblems(
  config: ClientConfig,
  env: EnvSource,
  mode: SwitchboardMode,
  stored: StoredSecrets = {},
  sandbox?: SandboxCredentials,
): { secrets: ClientSecrets; problems: SecretProblem[] } {
  return resolve(config, env, mode, stored, sandbox);
}

function resolve(
  config: ClientConfig,
  env: EnvSource,
  mode: SwitchboardMode,
  stored: StoredSecrets,
  sandbox?: SandboxCredentials,
): { secrets: ClientSecrets; problems: SecretProblem[] } {
  const specs = secretSpecs(config);
  const read = (env: EnvSource, name: string, key: SecretKey): string | undefined => stored[key]?.trim() || readEnv(env, name);
  const values: Partial<Record<SecretKey, string>> = {};
  const problems: SecretProblem[] = [];
  const emulated = new Set<SecretVendor>();

  if (mode === 'demo') {
    for (const spec of specs) values[spec.key] = read(env, spec.variable, spec.key) ?? (spec.sandboxName && DEMO_SECRETS[spec.sandboxName]);
    // Every vendor the office uses (Telnyx and SendGrid only when a chain lists them).
    for (const vendor of Object.keys(VENDOR_NAMES) as SecretVendor[]) {
      if ((vendor === 'telnyx' || vendor === 'sendgrid') && !specs.some((spec) => spec.vendor === vendor)) continue;
      if ((vendor === 'google' || vendor === 'microsoft') && config.calendar.provider !== vendor) continue;
      emulated.add(vendor);
    }
  } else {
    const sandboxed = env.SANDBOX?.trim() === '1';
    // Never the public demo values: a live server must not accept a request signed with a published key.
    const credentials = sandboxed ? (sandbox ?? randomSandboxCredentials()) : undefined;
    for (const vendor of Object.keys(VENDOR_NAMES) as SecretVendor[]) {
      const vendorSpecs = specs.filter((spec) => spec.vendor === vendor);
      if (vendorSpecs.length === 0) continue;
      const unset = vendorSpecs.every((spec) => read(env, spec.variable, spec.key) === undefined);
      if (credentials && unset) {
        emulated.add(vendor);
        // Telnyx and SendGrid have no random twin yet (their emulators sign with the demo keys): left unset.
        for (const spec of vendorSpecs) values[spec.key] = spec.sandboxName && (credentials as Partial<Record<DemoSecretName, string>>)[spec.sandboxName];
        continue;
      }
      for (const spec of vendorSpecs) {
        const value = read(env, spec.variable, spec.key);
        const problem = liveProblem(spec, value, stored[spec.key]?.trim() ? `the ${spec.key} stored for this office` : undefined);
        if (problem) {
          problems.push({ path: spec.path, variable: spec.variable, message: problem, ...(value !== undefined && isDemoSecret(value) ? { demo: true } : {}) });
        } else values[spec.key] = value;
      }
    }
    const calendarApp = DEPLOYMENT_OAUTH_APPS[config.calendar.provider as 'google' | 'microsoft'] as (typeof DEPLOYMENT_OAUTH_APPS)['google'] | undefined;
    if (calendarApp) {
      // The deployment's OAuth app (not the office's): its variables are fixed names in the server's environment.
      const vendor = config.calendar.provider as 'google' | 'microsoft';
      if (calendarApp.every((name) => readEnv(env, name) === undefined)) {
        if (sandboxed) emulated.add(vendor);
        else {
          problems.push({
            path: 'calendar.provider',
            variable: calendarApp[0],
            message:
              `environment variable ${calendarApp.join(' / ')} is not set; live mode needs the deployment's ${VENDOR_NAMES[vendor]} OAuth app ` +
              `for offices that book in ${VENDOR_NAMES[vendor]} (see docs/deploy.md; or set SANDBOX=1 to keep ${VENDOR_NAMES[vendor]} on its emulator)`,
          });
        }
      }
    }
  }

  const secrets: ClientSecrets = {
    retellApiKey: values.retellApiKey ?? '',
    twilioAccountSid: values.twilioAccountSid ?? '',
    twilioAuthToken: values.twilioAuthToken ?? '',
    zohoClientId: values.zohoClientId ?? '',
    zohoClientSecret: values.zohoClientSecret ?? '',
    emulatedVendors: [...emulated],
  };
  if (values.smtpUrl !== undefined) secrets.smtpUrl = values.smtpUrl;
  if (values.slackWebhookUrl !== undefined) secrets.slackWebhookUrl = values.slackWebhookUrl;
  if (values.hubspotAccessToken !== undefined) secrets.hubspotAccessToken = values.hubspotAccessToken;
  for (const key of ['telnyxApiKey', 'telnyxPublicKey', 'sendgridApiKey', 'sendgridWebhookKey'] as const) {
    if (values[key] !== undefined) secrets[key] = values[key];
  }
  return { secrets, problems };
}

function liveProblem(spec: SecretSpec, value: string | undefined, storedAs?: string): string | undefined {
  const vendor = VENDOR_NAMES[spec.vendor];
  const where = storedAs ?? `environment variable ${spec.variable}`;
  if (value === undefined) {
    return `environment variable ${spec.variable} is not set; live mode needs it for ${vendor} ` + `(or set SANDBOX=1 to keep ${vendor} on its emulator)`;
  }
  if (isDemoSecret(value)) {
    return `${where} holds a public demo value; live mode refuses demo secrets, set the real ${vendor} credential`;
  }
  const shape = spec.check?.(value);
  return shape ? `${where} ${shape}` : undefined;
}
