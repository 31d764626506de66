/**
 * What `switchboard zoho …` does (defined in ../zoho.ts): `connect` prints a one-hour link that starts the OAuth
 * flow in a browser; `import-refresh-token` stores a refresh token made in Zoho's API console (Self Client), read
 * from --token or stdin so it stays out of shell history.
 */
import { resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { loadSecretKey, SecretBox } from '../../core/crypto.js';
import { DataDirLockedError } from '../../db/data-dir-lock.js';
import { startSwitchboard } from '../../main.js';
import { isDataCenter } from '../../providers/zoho/accounts.js';
import { describeConnection, importRefreshToken } from '../../zoho/connection.js';
import { connectLink } from '../../zoho/oauth-state.js';
import type { CliIo } from '../commands.js';
import { withOffices } from '../offices-db.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function requireClient(slug: string): Promise<void> {
  try {
    await withOffices(async ({ clients }) => {
      if (!clients.get(slug)) throw new Error(`No client "${slug}"; known: ${clients.slugs().join(', ') || 'none'}.`);
    });
  } catch (error) {
    // A running server holds the embedded database; it answers 404 for an unknown office on the link itself.
    if (!(error instanceof DataDirLockedError)) throw error;
  }
}

export async function connectZoho(io: CliIo, options: { client: string }): Promise<void> {
  const env = loadEnv(process.env);
  await requireClient(options.client);
  const key = loadSecretKey({ envValue: env.secretKeyBase64, dataDir: resolve(env.dataDir), allowGenerate: env.mode === 'demo' });
  io.print(
    `Open this link in a browser signed in to the office's Zoho account (valid for one hour):\n\n  ${connectLink(env.publicBaseUrl, new SecretBox(key), options.client, Date.now())}\n`,
  );
  io.print(`Zoho must list ${env.publicBaseUrl}/v1/oauth/zoho/callback as an authorized redirect URI of the API client.`);
}

export async function importZohoRefreshToken(io: CliIo, options: { client: string; dc: string; token?: string }): Promise<void> {
  if (!isDataCenter(options.dc)) throw new Error(`--dc must be one of us, eu, in, au, jp, ca, sa, cn (got "${options.dc}").`);
  await requireClient(options.client);
  const token = options.token?.trim() || (await readStdin());
  if (!token) throw new Error('No refresh token given: pipe it on stdin or pass --token.');
  const switchboard = await startSwitchboard({ listen: false, worker: false });
  try {
    await importRefreshToken(switchboard.context, { clientId: options.client, dataCenter: options.dc, refreshToken: token });
    const summary = await describeConnection(switchboard.context, options.client);
    io.print(`Zoho connected for ${options.client} (data center ${summary.dataCenter}, user ${summary.ownerEmail ?? 'unknown'}).`);
  } finally {
    await switchboard.close();
  }
}
