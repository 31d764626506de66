/**
 * Fixed, public demo credentials. Demo mode uses them when the environment sets nothing, so anyone can
 * sign a test webhook with curl exactly as Retell would; the sandbox emulators accept them. They are
 * published in .env.example and the docs, which is why live mode refuses every one of them — also for the
 * vendors SANDBOX=1 keeps on their emulators, which get random per-process values instead (`randomSandboxCredentials`).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export const DEMO_SECRETS = {
  /** Retell signs webhooks with the API key, so this is also the demo webhook signing key. */
  RETELL_API_KEY: 'key_demo_switchboard_retell_0001',
  /** "AC" + 32 hex digits, as Twilio Account SIDs are; the repeated "de300" marks it as demo. */
  TWILIO_ACCOUNT_SID: 'ACde300de300de300de300de300de300de',
  TWILIO_AUTH_TOKEN: 'demo_twilio_auth_token_switchboard01',
  ZOHO_CLIENT_ID: '1000.DEMOSWITCHBOARD',
  ZOHO_CLIENT_SECRET: 'demo_zoho_client_secret_switchboard',
  /** A HubSpot private app's access token ("pat-" + region + id in real accounts); the emulator accepts it. */
  HUBSPOT_ACCESS_TOKEN: 'pat-demo-switchboard-hubspot-0001',
  /** The deployment's Google OAuth app in demo mode (the Google emulator accepts it). */
  GOOGLE_CLIENT_ID: 'demo_switchboard_google.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'demo_google_client_secret_switchboard',
  /** The deployment's Microsoft Entra app in demo mode (a GUID, as application ids are; the emulator accepts it). */
  MICROSOFT_CLIENT_ID: 'de300de3-0000-4000-8000-de300de300de',
  MICROSOFT_CLIENT_SECRET: 'demo_microsoft_client_secret_switchboard',
  /** Telnyx (second SMS provider, issue 19): the API key the Telnyx emulator accepts. */
  TELNYX_API_KEY: 'KEYdemo_switchboard_telnyx_0001',
  /**
   * The Telnyx emulator's Ed25519 public key (raw 32 bytes, base64, as Mission Control shows it): demo mode trusts
   * webhooks signed with its private half, which is published in src/sandbox/demo-keys.ts.
   */
  TELNYX_PUBLIC_KEY: 'UWLOOoxc2xd6jMpcVAKptfnnssJmO/fJopjB/FvqfTU=',
  /** SendGrid (second e-mail provider, issue 19): the API key the SendGrid emulator accepts. */
  SENDGRID_API_KEY: 'SG.demo_switchboard_sendgrid.0001',
  /** The SendGrid emulator's event-webhook verification key (P-256 SPKI, base64, as SendGrid's UI shows it). */
  SENDGRID_WEBHOOK_KEY: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhQnihXtV6HyAqHJWd/M8L680Pv/HW8IZGY8GpD2O9EbcfkVNnYD30/RsgnzqAmUKf46KBPnac/NjtIP5I/msTw==',
  /** The optional follow-up rewrite's LLM (issue 17): the key the Anthropic Messages API emulator accepts. */
  ANTHROPIC_API_KEY: 'sk-ant-demo-switchboard-0001',
  /** Base64 of the 32 ASCII bytes "switchboard-demo-secret-key-0001"; encrypts tokens at rest in demo only. */
  SWITCHBOARD_SECRET_KEY: 'c3dpdGNoYm9hcmQtZGVtby1zZWNyZXQta2V5LTAwMDE=',
} as const;

export type DemoSecretName = keyof typeof DEMO_SECRETS;

const DEMO_VALUES: ReadonlySet<string> = new Set(Object.values(DEMO_SECRETS));

/**
 * True for any published demo value, or a value shaped like one (a copied .env.example with a digit
 * changed must not slip into production either).
 */
export function isDemoSecret(value: string | undefined | null): boolean {
  if (!value) return false;
  const trimmed = value.trim();
  if (DEMO_VALUES.has(trimmed)) return true;
  return (
    /^key_demo_/.test(trimmed) ||
    /^demo_/.test(trimmed) ||
    /^1000\.DEMO/.test(trimmed) ||
    /^AC(de300){6}/i.test(trimmed) ||
    /^de300de3-/i.test(trimmed) ||
    /^pat-demo-/.test(trimmed) ||
    /^KEYdemo_/.test(trimmed) ||
    /^SG\.demo_/.test(trimmed) ||
    /^sk-ant-demo/.test(trimmed)
  );
}

/** The credentials of vendors that run on their emulators (the demo values are one such set). */
export type SandboxCredentials = Pick<
  Record<DemoSecretName, string>,
  | 'RETELL_API_KEY'
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'ZOHO_CLIENT_ID'
  | 'ZOHO_CLIENT_SECRET'
  | 'HUBSPOT_ACCESS_TOKEN'
  | 'ANTHROPIC_API_KEY'
  | 'GOOGLE_CLIENT_ID'
  | 'GOOGLE_CLIENT_SECRET'
  | 'MICROSOFT_CLIENT_ID'
  | 'MICROSOFT_CLIENT_SECRET'
>;

/**
 * Live mode with SANDBOX=1: credentials for the emulated vendors that only this process knows. The in-process
 * emulators are started with them and the in-process simulator signs with them, so a request signed with a
 * public demo key (Retell's webhook key, Twilio's auth token) is refused like any other bad signature.
 */
export function randomSandboxCredentials(): SandboxCredentials {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  return {
    RETELL_API_KEY: `key_sandbox_${hex(16)}`,
    TWILIO_ACCOUNT_SID: `AC${hex(16)}`,
    TWILIO_AUTH_TOKEN: hex(16),
    ZOHO_CLIENT_ID: `1000.SANDBOX${hex(8).toUpperCase()}`,
    ZOHO_CLIENT_SECRET: hex(20),
    HUBSPOT_ACCESS_TOKEN: `pat-sandbox-${hex(16)}`,
    ANTHROPIC_API_KEY: `sk-ant-sandbox-${hex(16)}`,
    GOOGLE_CLIENT_ID: `sandbox-${hex(8)}.apps.googleusercontent.com`,
    GOOGLE_CLIENT_SECRET: hex(20),
    MICROSOFT_CLIENT_ID: randomUUID(),
    MICROSOFT_CLIENT_SECRET: hex(20),
  };
}
