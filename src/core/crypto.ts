/**
 * Secrets at rest (OAuth tokens) are sealed with AES-256-GCM under SWITCHBOARD_SECRET_KEY. Demo mode keeps
 * a generated key in the data directory so tokens survive restarts there too.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SWITCHBOARD_SECRET_KEY must be 32 bytes, base64-encoded.');
    this.key = key;
  }

  static fromBase64(value: string): SecretBox {
    return new SecretBox(Buffer.from(value, 'base64'));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unreadable sealed secret.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** HMAC-SHA256 signature for short-lived tokens (OAuth state, unsubscribe links), base64url. */
  sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  verify(data: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(data));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** Reads the key from the environment, or (demo mode) from `DATA_DIR/secret.key`, creating it once. */
export function loadSecretKey(options: { envValue?: string; dataDir: string; allowGenerate: boolean }): Buffer {
  if (options.envValue) {
    const key = Buffer.from(options.envValue, 'base64');
    if (key.length !== 32) throw new Error('SWITCHBOARD_SECRET_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32).');
    return key;
  }
  if (!options.allowGenerate) {
    throw new Error('SWITCHBOARD_SECRET_KEY is not set. Generate one with `openssl rand -base64 32`.');
  }
  const path = join(options.dataDir, 'secret.key');
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64'), { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}
