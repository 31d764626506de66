/**
 * Demo mode (and SANDBOX=1 for unconfigured Zoho): connect an office to the sandbox's Zoho emulator as a
 * Self Client would, and create its booking calendar there, so a simulated call books with zero set-up.
 * A stored connection is kept when it still answers (e.g. a test's own emulator); one left pointing at a
 * previous run's emulator (a dead port after a restart) is replaced.
 */
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { dataCenterOfAccountsServer } from '../providers/zoho/accounts.js';
import { ZOHO_PROVIDER, importRefreshToken } from './connection.js';

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(new URL('/oauth/user/info', url), { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

export async function connectSandboxZoho(context: AppContext, runtime: ClientRuntime): Promise<void> {
  const zoho = context.sandbox?.zoho;
  if (!zoho) return;
  const { config, secrets } = runtime;
  if (!secrets.emulatedVendors.includes('zoho') || !config.zoho) return;
  zoho.ensureCalendar(config.zoho.calendarId, {
    name: `${config.name} appointments`,
    timezone: config.timezone,
    ownerEmail: config.zoho.calendarOwnerEmail,
  });
  // Each bookable person's own calendar (issue 20), in the same connected account.
  for (const person of config.staff?.people ?? []) {
    zoho.ensureCalendar(person.calendarId, { name: `${person.name} (${config.name})`, timezone: config.timezone, ownerEmail: config.zoho.calendarOwnerEmail });
  }
  const existing = await context.db
    .selectFrom('oauth_connections')
    .select(['accounts_server', 'status'])
    .where('client_id', '=', config.slug)
    .where('provider', '=', ZOHO_PROVIDER)
    .executeTakeFirst();
  if (existing && existing.status !== 'broken') {
    const real = dataCenterOfAccountsServer(existing.accounts_server) !== undefined;
    if (real || existing.accounts_server === zoho.url || (await answers(existing.accounts_server))) return;
  }
  try {
    await importRefreshToken(context, {
      clientId: config.slug,
      dataCenter: config.zoho.dataCenter,
      refreshToken: zoho.issueRefreshToken(),
      accountsServer: zoho.url,
    });
  } catch (error) {
    context.logger.warn({ err: error, clientId: config.slug }, 'Could not connect the Zoho emulator');
  }
}
