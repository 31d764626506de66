import type { Switchboard } from '../main.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Where the server listens, and who can reach it: demo mode accepts the public demo keys, so say it plainly. */
export function listeningLine(switchboard: Switchboard): string {
  const address = switchboard.app.server.address();
  if (!address || typeof address !== 'object') return '(not listening)';
  const where = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (LOOPBACK.has(address.address)) return `${where} (this computer only; set HOST=0.0.0.0 to let other machines in)`;
  const reach = address.address === '0.0.0.0' || address.address === '::' ? 'every network interface' : 'this interface';
  return switchboard.context.env.mode === 'demo'
    ? `${where} (${reach}: anyone who can reach it may sign requests with the public demo keys)`
    : `${where} (${reach})`;
}

function proxyLine(trust: Switchboard['context']['env']['trustProxy']): string {
  if (trust === false || trust === 0) return 'none trusted (TRUST_PROXY unset: X-Forwarded-For is ignored)';
  if (typeof trust === 'number') return `the nearest ${trust} hop${trust === 1 ? '' : 's'} (TRUST_PROXY=${trust})`;
  return trust.join(', ');
}

/** The start-up banner: what mode we are in, where the dashboard is, and which emulators stand in for vendors. */
export function startBanner(switchboard: Switchboard, extraLines: string[] = []): string {
  const { context, url, startedInMs } = switchboard;
  const demo = context.env.mode === 'demo';
  const lines = [
    '',
    demo ? '  Switchboard — DEMO MODE (emulated vendors, embedded database, no credentials needed)' : '  Switchboard — LIVE MODE',
    '',
    `  Listening:   ${listeningLine(switchboard)}`,
    `  Proxies:     ${proxyLine(context.env.trustProxy)}`,
    `  Dashboard:   ${url ?? '(not listening)'}/`,
    `  Health:      ${url ?? ''}/readyz`,
    `  Database:    ${context.database.location}`,
    `  Clients:     ${context.clients.slugs().join(', ')}`,
  ];
  const endpoints = context.sandbox?.endpoints() ?? [];
  if (endpoints.length > 0) {
    lines.push('  Emulators:');
    for (const endpoint of endpoints) lines.push(`    ${endpoint.name.padEnd(14)} ${endpoint.url}`);
  }
  lines.push(...extraLines.map((line) => `  ${line}`));
  lines.push(`  Ready in ${startedInMs} ms. Press Ctrl+C to stop.`, '');
  return lines.join('\n');
}
