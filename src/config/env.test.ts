import { describe, expect, it } from 'vitest';
import { ConfigError } from './client-schema.js';
import { DEMO_SECRETS } from './demo-secrets.js';
import { decodeSecretKey, loadEnv } from './env.js';

const REAL_KEY = Buffer.alloc(32, 7).toString('base64');

function problemPaths(env: Record<string, string | undefined>): string[] {
  try {
    loadEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.path);
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnv', () => {
  it('reads the outbox retention in days and names a bad value', () => {
    expect(loadEnv({ OUTBOX_HOUSEKEEPING_RETENTION_DAYS: '14', OUTBOX_RETENTION_DAYS: '90' }).outboxRetention).toEqual({ housekeepingDays: 14, otherDays: 90 });
    expect(problemPaths({ OUTBOX_HOUSEKEEPING_RETENTION_DAYS: '0', OUTBOX_RETENTION_DAYS: 'soon' })).toEqual([
      'OUTBOX_HOUSEKEEPING_RETENTION_DAYS',
      'OUTBOX_RETENTION_DAYS',
    ]);
    expect(problemPaths({ OUTBOX_RETENTION_DAYS: '2' })).toEqual(['OUTBOX_RETENTION_DAYS']);
  });

  it('runs in demo mode with defaults when nothing is set', () => {
    expect(loadEnv({})).toEqual({
      mode: 'demo',
      port: 3000,
      host: '127.0.0.1',
      trustProxy: false,
      dataDir: './data',
      databaseUrl: undefined,
      configDir: 'config/clients',
      logLevel: 'info',
      publicBaseUrl: 'http://localhost:3000',
      secretKeyBase64: undefined,
      sandbox: false,
      sandboxTwilioUrl: undefined,
      worker: true,
      analyticsDigest: true,
      outboxRetention: { housekeepingDays: 30, otherDays: undefined },
      anthropic: { apiKey: undefined, model: undefined },
    });
  });

  it('derives the public base URL from the port unless one is given', () => {
    expect(loadEnv({ PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080');
    expect(loadEnv({ PUBLIC_BASE_URL: 'https://sb.example.com/' }).publicBaseUrl).toBe('https://sb.example.com');
  });

  it('reads the flags and treats empty values as unset', () => {
    const env = loadEnv({ SANDBOX: '1', WORKER: '0', DATABASE_URL: '', LOG_LEVEL: 'debug' });
    expect(env).toMatchObject({ sandbox: true, worker: false, databaseUrl: undefined, logLevel: 'debug' });
  });

  it('requires a secret key in live mode and accepts a real one', () => {
    expect(problemPaths({ SWITCHBOARD_MODE: 'live' })).toEqual(['SWITCHBOARD_SECRET_KEY']);
    const env = loadEnv({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY });
    expect(decodeSecretKey(env.secretKeyBase64!)).toHaveLength(32);
  });

  it('refuses the demo secret key in live mode', () => {
    expect(problemPaths({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: DEMO_SECRETS.SWITCHBOARD_SECRET_KEY })).toEqual(['SWITCHBOARD_SECRET_KEY']);
  });

  it('refuses the demo Anthropic key in live mode, and a real key without the model it is for', () => {
    expect(problemPaths({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY, ANTHROPIC_API_KEY: DEMO_SECRETS.ANTHROPIC_API_KEY })).toEqual([
      'ANTHROPIC_API_KEY',
    ]);
    expect(problemPaths({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY, ANTHROPIC_API_KEY: 'sk-ant-api03-real' })).toEqual(['ANTHROPIC_MODEL']);
    expect(
      loadEnv({
        SWITCHBOARD_MODE: 'live',
        SWITCHBOARD_SECRET_KEY: REAL_KEY,
        ANTHROPIC_API_KEY: 'sk-ant-api03-real',
        ANTHROPIC_MODEL: 'claude-3-5-haiku-latest',
      }).anthropic,
    ).toEqual({
      apiKey: 'sk-ant-api03-real',
      model: 'claude-3-5-haiku-latest',
    });
    expect(loadEnv({ ANTHROPIC_API_KEY: DEMO_SECRETS.ANTHROPIC_API_KEY }).anthropic.apiKey).toBe(DEMO_SECRETS.ANTHROPIC_API_KEY);
  });

  it('listens on 127.0.0.1 in demo mode and on every interface in live mode unless HOST says otherwise', () => {
    expect(loadEnv({}).host).toBe('127.0.0.1');
    expect(loadEnv({ HOST: '' }).host).toBe('127.0.0.1');
    expect(loadEnv({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadEnv({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY }).host).toBe('0.0.0.0');
    expect(loadEnv({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it("trusts no proxy unless TRUST_PROXY names a hop count or the proxies' addresses", () => {
    expect(loadEnv({}).trustProxy).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadEnv({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadEnv({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback,fd00::/8' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8']);
    expect(problemPaths({ TRUST_PROXY: 'true' })).toEqual(['TRUST_PROXY']);
    expect(problemPaths({ TRUST_PROXY: '*' })).toEqual(['TRUST_PROXY']);
    expect(problemPaths({ TRUST_PROXY: '10.0.0.0/33' })).toEqual(['TRUST_PROXY']);
    expect(problemPaths({ TRUST_PROXY: 'proxy.internal' })).toEqual(['TRUST_PROXY']);
    expect(problemPaths({ TRUST_PROXY: '25' })).toEqual(['TRUST_PROXY']);
  });

  it('ignores the retired SESSION_SECRET (nothing signs with it)', () => {
    expect(loadEnv({ SESSION_SECRET: 'short' })).not.toHaveProperty('sessionSecret');
    expect(() => loadEnv({ SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY, SESSION_SECRET: 'demo_session_secret_switchboard_0001' })).not.toThrow();
  });

  it('lists every bad variable at once', () => {
    let message = '';
    try {
      loadEnv({
        SWITCHBOARD_MODE: 'staging',
        PORT: 'eighty',
        DATABASE_URL: 'mysql://db',
        LOG_LEVEL: 'loud',
        SWITCHBOARD_SECRET_KEY: Buffer.alloc(16).toString('base64'),
        WORKER: 'no',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('Environment variables are invalid (6 problems):');
    expect(
      lines
        .slice(1)
        .map((line) => line.split(': ')[1])
        .sort(),
    ).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SWITCHBOARD_MODE', 'SWITCHBOARD_SECRET_KEY', 'WORKER'].sort());
    expect(message).toContain('environment: SWITCHBOARD_MODE: must be "demo" or "live"');
  });

  it("reads the deployment's Google and Microsoft OAuth apps, asks for both halves, and refuses demo values in live mode", () => {
    expect(loadEnv({})).toMatchObject({ google: undefined, microsoft: undefined });
    const env = loadEnv({
      GOOGLE_CLIENT_ID: 'g-id.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'g-secret',
      MICROSOFT_CLIENT_ID: '3f1c2b1a-7d6e-4f5a-8b9c-0d1e2f3a4b5c',
      MICROSOFT_CLIENT_SECRET: 'm-secret',
    });
    expect(env.google).toEqual({ clientId: 'g-id.apps.googleusercontent.com', clientSecret: 'g-secret' });
    expect(env.microsoft).toEqual({ clientId: '3f1c2b1a-7d6e-4f5a-8b9c-0d1e2f3a4b5c', clientSecret: 'm-secret', tenant: 'common' });
    expect(problemPaths({ GOOGLE_CLIENT_ID: 'g-id' })).toEqual(['GOOGLE_CLIENT_SECRET']);
    expect(problemPaths({ MICROSOFT_CLIENT_SECRET: 'm-secret', MICROSOFT_TENANT: 'not a tenant!' })).toEqual(['MICROSOFT_TENANT', 'MICROSOFT_CLIENT_ID']);
    const live = { SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: REAL_KEY };
    expect(problemPaths({ ...live, GOOGLE_CLIENT_ID: DEMO_SECRETS.GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET: DEMO_SECRETS.GOOGLE_CLIENT_SECRET })).toEqual([
      'GOOGLE_CLIENT_ID',
      'GOOGLE_CLIENT_SECRET',
    ]);
    expect(problemPaths({ ...live, MICROSOFT_CLIENT_ID: DEMO_SECRETS.MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET: 'real' })).toEqual(['MICROSOFT_CLIENT_ID']);
    expect(
      loadEnv({
        ...live,
        MICROSOFT_CLIENT_ID: '3f1c2b1a-7d6e-4f5a-8b9c-0d1e2f3a4b5c',
        MICROSOFT_CLIENT_SECRET: 'real',
        MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
      }).microsoft?.tenant,
    ).toBe('contoso.onmicrosoft.com');
  });
});
