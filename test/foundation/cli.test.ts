import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { runSwitchboard as switchboard, startServerProcess } from '../support/process.js';

/** Runs the CLI from the TypeScript sources and lists the packages and source files the process loaded. */
function switchboardLoading(args: string[], env: Record<string, string> = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-modules-')), 'modules.txt');
  const recorder = pathToFileURL(resolve('test/fixtures/module-recorder.mjs')).href;
  const result = switchboard(args, { NODE_OPTIONS: `--import=${recorder}`, RECORD_MODULES_FILE: file, SWITCHBOARD_FROM_SOURCE: '1', ...env });
  const urls = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const root = `${pathToFileURL(process.cwd()).href}/`;
  const packages = new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name) => name !== undefined));
  const sources = urls.filter((url) => url.startsWith(`${root}src/`)).map((url) => url.slice(root.length));
  return { ...result, packages: [...packages].sort(), sources };
}

// What runs the TypeScript sources (tsx and its esbuild), not what a command loads.
const SOURCE_RUNNER = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

describe('the switchboard CLI', () => {
  it("help loads the command definitions and commander only, none of the commands' work (kysely, fastify, PGlite, zod, …)", () => {
    for (const args of [[], ['--help'], ['client', '--help'], ['client', 'list', '--help'], ['simulate-call', '--help'], ['help', 'user']]) {
      const run = switchboardLoading(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.out).toContain('Usage: switchboard');
      expect(run.sources, args.join(' ')).toContain('src/cli/commands.ts');
      expect(
        run.packages.filter((name) => !SOURCE_RUNNER.has(name)),
        args.join(' '),
      ).toEqual(['commander']);
      expect(
        run.sources.filter((path) => path.startsWith('src/cli/actions/')),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('a command loads its work when it runs', () => {
    const run = switchboardLoading(['simulate-call', '--client', 'no-such-office', '--from', '+16025550123', '--url', 'http://127.0.0.1:9']);
    expect(run.out).toContain('Could not get office "no-such-office" from http://127.0.0.1:9');
    expect(run.code).toBe(2);
    expect(run.sources).toContain('src/cli/actions/simulate-call.ts');
    expect(run.packages).toContain('retell-sdk');
  });

  it('a live instance loads no emulator: start loads the server (main.ts) but not src/sandbox/, smtp-server, mailparser or an optional vendor SDK', () => {
    // Live mode with the public demo key is refused after the server's modules have loaded (the refusal happens when
    // the environment is checked at start), so this shows what a live instance carries.
    const run = switchboardLoading(['start'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-live-modules-')),
      SWITCHBOARD_MODE: 'live',
      SWITCHBOARD_SECRET_KEY: 'c3dpdGNoYm9hcmQtZGVtby1zZWNyZXQta2V5LTAwMDE=',
      RETELL_API_KEY: 'key_demo_switchboard_retell_0001',
    });
    expect(run.out).toContain('live mode refuses demo secrets');
    expect(run.sources).toContain('src/main.ts');
    expect(
      run.sources.filter(
        (path) =>
          path.startsWith('src/sandbox/') && !['src/sandbox/call-simulator.ts', 'src/sandbox/call-scenarios.ts', 'src/sandbox/http1-client.ts'].includes(path),
      ),
    ).toEqual([]);
    expect(run.packages).not.toContain('smtp-server');
    expect(run.packages).not.toContain('mailparser');
    // The SDKs of providers an office may choose load when its first client is made (twilio, retell-sdk, nodemailer
    // and @slack/webhook are the defaults and load at start).
    const optionalSdks = [
      'telnyx',
      '@sendgrid/mail',
      'google-auth-library',
      '@googleapis/calendar',
      '@azure/msal-node',
      '@microsoft/microsoft-graph-client',
      '@hubspot/api-client',
    ];
    expect(run.packages.filter((name) => optionalSdks.includes(name))).toEqual([]);
  });

  it('migrate creates the schema once and then says it is up to date', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    const first = switchboard(['migrate'], { DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    expect(first.out).toContain('Applied: 0001_foundation');
    const second = switchboard(['migrate'], { DATA_DIR: dataDir });
    expect(second.out).toContain('up to date');
  });

  it('doctor reports every check and passes on a healthy demo set-up', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-doctor-'));
    const result = switchboard(['doctor'], { DATA_DIR: dataDir });
    expect(result.out).toMatch(/ok\s+environment/);
    expect(result.out).toMatch(/ok\s+client configs: .*smart-tax-nation/);
    expect(result.out).toMatch(/ok\s+database/);
    expect(result.out).toContain('All checks passed.');
    expect(result.code).toBe(0);
  });

  it('doctor names a broken client config file, path and reason, with a fix', () => {
    const result = switchboard(['doctor'], { CONFIG_DIR: 'test/fixtures/config/bad-clients', DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-doc-')) });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAIL\s+client configs/);
    expect(result.out).toContain('timezone');
    expect(result.out).toContain('fix: Edit the files in test/fixtures/config/bad-clients');
  });

  it('start serves the good offices beside broken files, and lists every broken file with its problems', async () => {
    const server = await startServerProcess({ CONFIG_DIR: 'test/fixtures/config/bad-clients', DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-bad-')) });
    try {
      expect(server.output()).toMatch(/Not imported: broken-json\.json/);
      const anonymous = await fetch(`${server.url}/readyz`);
      expect(anonymous.status).toBe(200);
      // Check details are for signed-in admins: sign in with the first admin's one-time password from the banner.
      const login = /Dashboard login \(shown once\): (\S+) \/ (\S+)/.exec(server.output());
      const session = await fetch(`${server.url}/v1/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email: login?.[1], password: login?.[2] }),
      });
      expect(session.status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`, { headers: { cookie: (session.headers.get('set-cookie') ?? '').split(';')[0]! } });
      const offices = ((await ready.json()) as { checks: Array<{ name: string; status: string; detail?: string }> }).checks.find(
        (check) => check.name === 'offices',
      );
      expect(offices?.status).toBe('degraded');
      expect(offices?.detail).toMatch(/^1 served: good-office;/);
      for (const file of ['bad-zone', 'broken-json', 'open-after-close', 'overlapping-hours', 'unknown-variable']) expect(offices?.detail).toContain(file);
      const office = await fetch(`${server.url}/v1/retell/good-office/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(office.status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('simulate-call plays a booking call for any office on a running server, with its own appointment types', async () => {
    const server = await startServerProcess({ DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-sim-')) });
    try {
      const result = switchboard([
        'simulate-call',
        '--client',
        'desert-bookkeeping',
        '--from',
        '+16025550123',
        '--scenario',
        'new-caller-books',
        '--url',
        server.url,
      ]);
      expect(result.out).not.toContain('Problems:');
      expect(result.out).toMatch(/200\s+function check_calendar_availability/);
      expect(result.out).toMatch(/200\s+function book_appointment/);
      expect(result.code).toBe(0);
      // The demo office with two bookable people: the call books one of them by name.
      const staffed = switchboard(['simulate-call', '--client', 'riverside-physio', '--from', '+13125550123', '--url', server.url]);
      expect(staffed.out).not.toContain('Problems:');
      expect(staffed.out).toMatch(/Booked: .* with (Maya Chen|Luis Ortega)\./);
      expect(staffed.code).toBe(0);
      const unknown = switchboard(['simulate-call', '--client', 'no-such-office', '--from', '+16025550123', '--url', server.url]);
      expect(unknown.out).toContain('No office "no-such-office"');
      expect(unknown.code).toBe(2);
    } finally {
      await server.stop();
    }
  });

  it('every command has --help', () => {
    for (const command of [
      ['start'],
      ['migrate'],
      ['client', 'list'],
      ['client', 'import'],
      ['client', 'export'],
      ['doctor'],
      ['crm', 'resync'],
      ['simulate-call'],
      ['zoho', 'connect'],
      ['zoho', 'import-refresh-token'],
      ['user', 'add'],
      ['user', 'reset-password'],
    ]) {
      const result = switchboard([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.out).toContain('Usage: switchboard');
    }
  });

  it('user add and reset-password change the users and leave rows in the audit log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-user-'));
    const added = switchboard(['user', 'add', '--email', 'dana@office.example', '--role', 'staff', '--client', 'smart-tax-nation'], { DATA_DIR: dataDir });
    expect(added.out).toContain('Added staff dana@office.example for smart-tax-nation.');
    expect(added.out).toMatch(/One-time password \(shown once\): \S{10,}/);
    expect(added.code).toBe(0);
    const again = switchboard(['user', 'add', '--email', 'dana@office.example', '--role', 'staff', '--client', 'smart-tax-nation'], { DATA_DIR: dataDir });
    expect(again.out).toContain('already exists; nothing changed');
    const reset = switchboard(['user', 'reset-password', '--email', 'dana@office.example'], { DATA_DIR: dataDir });
    expect(reset.out).toContain('New password for dana@office.example');
    expect(reset.code).toBe(0);
    const unknown = switchboard(['user', 'reset-password', '--email', 'nobody@office.example'], { DATA_DIR: dataDir });
    expect(unknown.code).not.toBe(0);
    expect(unknown.out).toContain('No user nobody@office.example');

    const database = await openDatabase({ dataDir });
    try {
      const rows = await database.db
        .selectFrom('audit')
        .select(['actor', 'action', 'target', 'after'])
        .where('action', 'like', 'user.%')
        .orderBy('id')
        .execute();
      expect(rows.map((row) => row.action)).toEqual(['user.add', 'user.reset_password']);
      expect(rows[0]!.actor).toMatch(/^cli/);
      expect(rows[0]!.after).toEqual({ email: 'dana@office.example', role: 'staff', clients: ['smart-tax-nation'] });
      expect(rows[1]!.target).toBe(rows[0]!.target);
      // Only the fact of the change: no password or hash in the audit log.
      expect(JSON.stringify(rows)).not.toMatch(/password_hash|scrypt/);
    } finally {
      await database.close();
    }
  });
});
