import type { Switchboard } from '../main.js';

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
