import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.js';
import { openDatabase } from '../../src/db/database.js';

const script = `
import { openDatabase } from './src/db/database.ts';
try {
  const db = await openDatabase({ dataDir: process.argv[1] });
  process.stdout.write('opened\\n');
  await db.close();
} catch (error) {
  process.stdout.write('refused: ' + error.message + '\\n');
  process.exitCode = 3;
}
`;

function runSecondProcess(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dataDir], { cwd: process.cwd() });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the embedded database directory lock', () => {
  it('a second process on the same PGlite directory gets a clear error and the first keeps its rows', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-lock-'));
    const first = await openDatabase({ dataDir });
    try {
      await first.db.schema.createTable('probe').addColumn('n', 'integer').execute();
      await first.db.insertInto('probe' as never).values({ n: 1 } as never).execute();

      const second = await runSecondProcess(dataDir);
      expect(second.code).toBe(3);
      expect(second.output).toContain(`in use by another Switchboard process (pid ${process.pid})`);
      expect(second.output).toContain('DATABASE_URL');

      const rows = await first.db.selectFrom('probe' as never).selectAll().execute();
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await first.close();
    }
    // Released on close: another process may now open it and sees the data.
    const again = await runSecondProcess(dataDir);
    expect(again.output).toContain('opened');
  });

  it('a lock left by a process that died is taken over', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-stale-'));
    // A pid far above the kernel's pid_max cannot belong to a running process.
    writeFileSync(join(dataDir, 'switchboard.lock'), '99999999');
    const lock = lockDataDir(dataDir);
    expect(readFileSync(lock.path, 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dataDir)).toThrow(DataDirLockedError);
    lock.release();
    lockDataDir(dataDir).release();
  });
});
