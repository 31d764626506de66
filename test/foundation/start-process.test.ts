import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../support/process.js';

describe('switchboard start (a real process, demo mode)', () => {
  it('shows the demo banner, answers /readyz, exits promptly on SIGTERM and starts again on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-start-'));
    // HOST empty counts as unset: demo mode then listens on loopback only (the public demo keys sign anything).
    const first = await startServerProcess({ DATA_DIR: dataDir, HOST: '' });
    expect(first.output()).toContain('DEMO MODE');
    expect(first.output()).toMatch(/Listening: +127\.0\.0\.1:\d+ \(this computer only/);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(first.output()).toMatch(/Emulators:[\s\S]*Twilio[\s\S]*Zoho/);
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await startServerProcess({ DATA_DIR: dataDir });
    try {
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  });

  it('loads the SDKs of the calendars and CRM its offices use without waiting for a first call (Google, Microsoft 365, HubSpot)', async () => {
    const modules = join(mkdtempSync(join(tmpdir(), 'sb-sdk-modules-')), 'modules.txt');
    const recorder = pathToFileURL(resolve('test/fixtures/module-recorder.mjs')).href;
    const server = await startServerProcess({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-sdk-')),
      NODE_OPTIONS: `--import=${recorder}`,
      RECORD_MODULES_FILE: modules,
      SWITCHBOARD_FROM_SOURCE: '1',
    });
    const wanted = ['@googleapis/calendar', 'google-auth-library', '@microsoft/microsoft-graph-client', '@azure/msal-node', '@hubspot/api-client'];
    const loaded = () => wanted.filter((name) => existsSync(modules) && readFileSync(modules, 'utf8').includes(`/node_modules/${name}/`));
    try {
      // The demo offices book in Google (riverside-physio) and Microsoft 365 with HubSpot leads (harbor-law). The
      // SDKs load in the background after the modules' setUp: wait for the recorder to see them, no request made.
      for (let waited = 0; loaded().length < wanted.length && waited < 30_000; waited += 100) await delay(100);
      expect(loaded()).toEqual(wanted);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses to start in live mode with demo secrets and names the problems', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-live-'));
    const error = await startServerProcess({
      DATA_DIR: dataDir,
      SWITCHBOARD_MODE: 'live',
      SWITCHBOARD_SECRET_KEY: 'c3dpdGNoYm9hcmQtZGVtby1zZWNyZXQta2V5LTAwMDE=',
      RETELL_API_KEY: 'key_demo_switchboard_retell_0001',
    }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toMatch(/exited with 1/);
    expect(error?.message).toContain('SWITCHBOARD_SECRET_KEY');
    expect(error?.message).toMatch(/demo/i);
  });
});
