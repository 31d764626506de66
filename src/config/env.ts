/**
 * Process-level settings from the environment (per-client secrets are in secrets.ts). loadEnv reports
 * every bad variable at once. An empty value (`NAME=` in a .env file) counts as unset.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, formatPath } from './client-schema.js';
import { isDemoSecret } from './demo-secrets.js';
import type { EnvSource } from './secrets.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const flag = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false'], { error: 'must be "1" or "0"' })
    .optional()
    .transform((value) => (value === undefined ? fallback : value === '1' || value === 'true'));

/** Base64 of exactly 32 bytes: the AES-256-GCM key for tokens at rest. */
function isSecretKeyShape(value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0 && Buffer.from(value, 'base64').length === 32;
}

/** Address names proxy-addr (Fastify's trustProxy) understands besides addresses and CIDR ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Which peers may tell us the client's address and protocol (X-Forwarded-For / -Proto / -Host). Off: the socket's
 * peer is the client. A hop count N: the N nearest hops are proxies (only right for a proxy nobody can bypass). A
 * list: peers in those addresses/ranges are proxies. Never "every peer": any client could then pick its address.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): false | number | string[] => {
    if (value === undefined || ['0', 'off', 'false', 'no'].includes(value.toLowerCase())) return false;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops <= 10) return hops;
      ctx.addIssue({ code: 'custom', message: 'is more than 10 proxy hops; give the number of proxies in front of Switchboard (usually 1)' });
      return z.NEVER;
    }
    if (['on', 'true', 'yes', 'all', '*'].includes(value.toLowerCase())) {
      ctx.addIssue({
        code: 'custom',
        message:
          "cannot trust every peer (any client could then choose its own address); give a hop count (e.g. 1) or the proxies' addresses (e.g. 10.0.0.0/8)",
      });
      return z.NEVER;
    }
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const bad = entries.filter((entry) => !isProxyRange(entry));
    if (bad.length > 0 || entries.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be 0 (off), a hop count such as 1, or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,loopback); not understood: ${bad.join(', ') || value}`,
      });
      return z.NEVER;
    }
    return entries;
  });

const envSchema = z
  .object({
    SWITCHBOARD_MODE: z.enum(['demo', 'live'], { error: 'must be "demo" or "live"' }).default('demo'),
    PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0).max(65_535).default(3000),
    HOST: z.string().optional(),
    TRUST_PROXY: trustProxy,
    DATA_DIR: z.string().default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL, e.g. postgres://user:pass@host:5432/switchboard')
      .optional(),
    CONFIG_DIR: z.string().default('config/clients'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://switchboard.example.com' }).optional(),
    SWITCHBOARD_SECRET_KEY: z.string().refine(isSecretKeyShape, 'must be base64 of 32 random bytes (generate with: openssl rand -base64 32)').optional(),
    SANDBOX: flag(false),
    SANDBOX_TWILIO_URL: z.url({ protocol: /^https?$/, error: 'must be the http URL of a Twilio emulator, e.g. http://127.0.0.1:4010' }).optional(),
    WORKER: flag(true),
    ANALYTICS_DIGEST: flag(true),
    OUTBOX_HOUSEKEEPING_RETENTION_DAYS: z.coerce
      .number({ error: 'must be a number of days' })
      .int('must be a whole number of days')
      .min(1, 'must be at least 1 day')
      .max(3650)
      .default(30),
    OUTBOX_RETENTION_DAYS: z.coerce
      .number({ error: 'must be a number of days' })
      .int('must be a whole number of days')
      .min(7, 'must be at least 7 days (a retry or a late status report may still look for the row)')
      .max(36_500)
      .optional(),
    ANTHROPIC_API_KEY: z.string().optional(),
    ANTHROPIC_MODEL: z
      .string()
      .regex(/^[\w.:@-]{1,100}$/, 'must be an Anthropic model name, e.g. claude-3-5-haiku-latest')
      .optional(),
    GOOGLE_CLIENT_ID: z.string().optional(),
    GOOGLE_CLIENT_SECRET: z.string().optional(),
    MICROSOFT_CLIENT_ID: z.string().optional(),
    MICROSOFT_CLIENT_SECRET: z.string().optional(),
    MICROSOFT_TENANT: z
      .string()
      .regex(
        /^(common|organizations|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/i,
        'must be common, organizations, consumers, a tenant id (GUID) or a tenant domain',
      )
      .optional(),
  })
  .superRefine((env, ctx) => {
    // An OAuth app is an id and a secret together: half of one is a typo, never "use the emulator".
    for (const [id, secret] of [
      ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
      ['MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'],
    ] as const) {
      if ((env[id] === undefined) !== (env[secret] === undefined)) {
        const missing = env[id] === undefined ? id : secret;
        ctx.addIssue({ code: 'custom', path: [missing], message: `is required together with ${missing === id ? secret : id} (the OAuth app's id and secret)` });
      }
    }
    if (env.SWITCHBOARD_MODE !== 'live') return;
    for (const name of ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'] as const) {
      if (isDemoSecret(env[name])) ctx.addIssue({ code: 'custom', path: [name], message: 'holds a public demo value; live mode refuses demo secrets' });
    }
  })
  .superRefine((env, ctx) => {
    if (env.ANTHROPIC_API_KEY && !isDemoSecret(env.ANTHROPIC_API_KEY) && !env.ANTHROPIC_MODEL) {
      // The adapter never guesses a model: names and prices change, and the office pays for the one it chose.
      ctx.addIssue({
        code: 'custom',
        path: ['ANTHROPIC_MODEL'],
        message: 'is required with ANTHROPIC_API_KEY (the model the follow-up rewrite uses, e.g. claude-3-5-haiku-latest)',
      });
    }
    if (env.SWITCHBOARD_MODE !== 'live') return;
    if (isDemoSecret(env.ANTHROPIC_API_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['ANTHROPIC_API_KEY'], message: 'holds the public demo key; live mode refuses demo secrets' });
    }
    if (env.SWITCHBOARD_SECRET_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHBOARD_SECRET_KEY'],
        message: 'is required in live mode (generate with: openssl rand -base64 32)',
      });
    } else if (isDemoSecret(env.SWITCHBOARD_SECRET_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHBOARD_SECRET_KEY'],
        message: 'holds the public demo key; live mode refuses demo secrets',
      });
    }
  });

export interface Env {
  mode: 'demo' | 'live';
  port: number;
  /** Interface to listen on: HOST, else 127.0.0.1 in demo mode (public demo keys) and 0.0.0.0 in live mode. */
  host: string;
  /** Fastify's trustProxy: false (default), a hop count, or proxy addresses/CIDR ranges (TRUST_PROXY). */
  trustProxy: false | number | string[];
  dataDir: string;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  configDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where Retell/Twilio reach us; no trailing slash. */
  publicBaseUrl: string;
  /** Base64; demo mode generates one in dataDir when unset. Decode with decodeSecretKey. */
  secretKeyBase64: string | undefined;
  /** Live mode: vendors without credentials stay on their emulators. */
  sandbox: boolean;
  /**
   * Emulated Twilio only: send texts to this (shared, out-of-process) Twilio emulator instead of the one this
   * process starts, so several instances — or a process killed and restarted — are counted by one emulator.
   */
  sandboxTwilioUrl: string | undefined;
  /** False (WORKER=0): this process serves HTTP but runs no outbox worker. */
  worker: boolean;
  /** False (ANALYTICS_DIGEST=0): no weekly analytics digest e-mails are planned. */
  analyticsDigest: boolean;
  /**
   * How long finished outbox rows are kept (outbox/prune.ts): housekeeping rows (sweeps, digests, reconciles;
   * OUTBOX_HOUSEKEEPING_RETENTION_DAYS, default 30) and every other kind no screen reads (OUTBOX_RETENTION_DAYS;
   * unset: kept).
   */
  outboxRetention: { housekeepingDays: number; otherDays: number | undefined };
  /**
   * The optional follow-up rewrite's LLM (issue 17; each office still turns it on with `insights.rewrite.enabled`).
   * Unset key: the emulator in demo mode (or live with SANDBOX=1), no rewrite otherwise.
   */
  anthropic: { apiKey: string | undefined; model: string | undefined };
  /**
   * The deployment's Google OAuth app (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET), shared by every office that books in
   * Google Calendar. Unset: offices on Google stay on the emulator (demo, SANDBOX=1) or are refused (live).
   */
  google: OAuthAppCredentials | undefined;
  /** The deployment's Microsoft Entra app (MICROSOFT_CLIENT_ID / _SECRET; MICROSOFT_TENANT, default `common`). */
  microsoft: (OAuthAppCredentials & { tenant: string }) | undefined;
}

export interface OAuthAppCredentials {
  clientId: string;
  clientSecret: string;
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadEnv(env: EnvSource = process.env): Env {
  const cleaned: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key]?.trim();
    cleaned[key] = value ? value : undefined;
  }
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ file: 'environment', path: formatPath(issue.path), message: issue.message })),
      'Environment variables are invalid',
    );
  }
  const parsed = result.data;
  return {
    mode: parsed.SWITCHBOARD_MODE,
    port: parsed.PORT,
    // Demo mode answers anything signed with the public demo keys: only this machine may reach it unless asked.
    host: parsed.HOST ?? (parsed.SWITCHBOARD_MODE === 'demo' ? '127.0.0.1' : '0.0.0.0'),
    trustProxy: parsed.TRUST_PROXY,
    dataDir: parsed.DATA_DIR,
    databaseUrl: parsed.DATABASE_URL,
    configDir: parsed.CONFIG_DIR,
    logLevel: parsed.LOG_LEVEL,
    publicBaseUrl: (parsed.PUBLIC_BASE_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, ''),
    secretKeyBase64: parsed.SWITCHBOARD_SECRET_KEY,
    sandbox: parsed.SANDBOX,
    sandboxTwilioUrl: parsed.SANDBOX_TWILIO_URL?.replace(/\/+$/, ''),
    worker: parsed.WORKER,
    analyticsDigest: parsed.ANALYTICS_DIGEST,
    outboxRetention: { housekeepingDays: parsed.OUTBOX_HOUSEKEEPING_RETENTION_DAYS, otherDays: parsed.OUTBOX_RETENTION_DAYS },
    google:
      parsed.GOOGLE_CLIENT_ID && parsed.GOOGLE_CLIENT_SECRET ? { clientId: parsed.GOOGLE_CLIENT_ID, clientSecret: parsed.GOOGLE_CLIENT_SECRET } : undefined,
    microsoft:
      parsed.MICROSOFT_CLIENT_ID && parsed.MICROSOFT_CLIENT_SECRET
        ? { clientId: parsed.MICROSOFT_CLIENT_ID, clientSecret: parsed.MICROSOFT_CLIENT_SECRET, tenant: parsed.MICROSOFT_TENANT ?? 'common' }
        : undefined,
    anthropic: { apiKey: parsed.ANTHROPIC_API_KEY, model: parsed.ANTHROPIC_MODEL },
  };
}

/** The 32-byte key from SWITCHBOARD_SECRET_KEY (already shape-checked by loadEnv). */
export function decodeSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('SWITCHBOARD_SECRET_KEY must decode to 32 bytes');
  return key;
}
