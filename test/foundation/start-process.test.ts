import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
