import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

/**
 * A holder that stays up until killed. `lock` takes only the lock; `database` opens the embedded database,
 * adds a row and reports how many rows there are (so a restart shows the crashed run's data survived).
 */
const holderScript = `
const [mode, dataDir] = process.argv.slice(1);
try {
  if (mode === 'lock') {
    const { lockDataDir } = await import('./src/db/data-dir-lock.ts');
    await lockDataDir(dataDir);
    process.stdout.write('holding pid=' + process.pid + '\\n');
  } else {
    const { openDatabase } = await import('./src/db/database.ts');
    const { db } = await openDatabase({ dataDir });
    await db.schema.createTable('restarts').ifNotExists().addColumn('pid', 'integer').execute();
    await db.insertInto('restarts').values({ pid: process.pid }).execute();
    const rows = await db.selectFrom('restarts').selectAll().execute();
    process.stdout.write('holding pid=' + process.pid + ' rows=' + rows.length + '\\n');
  }
  setInterval(() => undefined, 1 << 30);
} catch (error) {
  process.stdout.write('refused: ' + error.message + '\\n');
  process.exit(3);
}
`;
const holderArgs = (mode: 'lock' | 'database', dataDir: string) => [
  process.execPath,
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  holderScript,
  mode,
  dataDir,
];

interface Started {
  child: ChildProcess;
  /** The holder's first line: `holding pid=…` or `refused: …`. */
  firstLine: Promise<string>;
  exit: Promise<number | null>;
}

const started: ChildProcess[] = [];
const directories: string[] = [];

function tempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  directories.push(path);
  return path;
}

function start(command: string, args: string[]): Started {
  const child = spawn(command, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exit.then((code) => reject(new Error(`exited with ${code} before answering:\n${stdout}${stderr}`)));
  });
  return { child, firstLine, exit };
}

afterEach(async () => {
  const running = started.splice(0).filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL'))));
  for (const path of directories.splice(0)) rmSync(path, { recursive: true, force: true });
});

/** State letter and parent pid from /proc/<pid>/stat (the name in parentheses may hold spaces). */
/** How many threads a process still has (1 once a killed process is a zombie proper). */
function threadsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

function procStat(pid: number): { state: string; parent: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: state!, parent: Number(parent) };
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => {
      try {
        return procStat(candidate).parent === pid;
      } catch {
        return false; // ended while we looked
      }
    });
}

// Staging "pid 1 in a fresh container" needs new pid, mount and network namespaces: root (or CAP_SYS_ADMIN) and
// util-linux's unshare. Where that is not permitted (unprivileged CI, macOS) the namespace test below is skipped.
const containerLike = ['--pid', '--fork', '--mount-proc', '--net', '--kill-child'];
const canUnshare = process.platform === 'linux' && spawnSync('unshare', [...containerLike, 'true'], { stdio: 'ignore' }).status === 0;
const inNewPidNamespace = (mode: 'lock' | 'database', dataDir: string) => start('unshare', [...containerLike, ...holderArgs(mode, dataDir)]);

describe('the embedded database directory lock', () => {
  it('a second process on the same PGlite directory gets a clear error and the first keeps its rows', async () => {
    const dataDir = tempDir('sb-lock-');
    const first = await openDatabase({ dataDir });
    try {
      await first.db.schema.createTable('probe').addColumn('n', 'integer').execute();
      await first.db
        .insertInto('probe' as never)
        .values({ n: 1 })
        .execute();

      const second = await runSecondProcess(dataDir);
      expect(second.code).toBe(3);
      expect(second.output).toContain(`in use by another Switchboard process (pid ${process.pid})`);
      expect(second.output).toContain('DATABASE_URL');

      const rows = await first.db
        .selectFrom('probe' as never)
        .selectAll()
        .execute();
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await first.close();
    }
    // Released on close: another process may now open it and sees the data.
    const again = await runSecondProcess(dataDir);
    expect(again.output).toContain('opened');
  });

  it('a lock left by a process killed with SIGKILL is taken over, and then refuses a second holder', async () => {
    const dataDir = tempDir('sb-killed-');
    const holder = start(process.execPath, holderArgs('lock', dataDir).slice(1));
    expect(await holder.firstLine).toBe(`holding pid=${holder.child.pid}`);
    holder.child.kill('SIGKILL');
    await holder.exit;
    expect(existsSync(join(dataDir, 'switchboard.lock'))).toBe(true); // nothing cleaned up after it

    const lock = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toThrow(`(pid ${process.pid})`);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    (await lockDataDir(dataDir)).release();
  });

  it.skipIf(process.platform !== 'linux')(
    // Linux only: the test reads /proc to show the holder really is a zombie.
    'a holder that died but was not reaped by its parent (a zombie) counts as gone',
    async () => {
      const dataDir = tempDir('sb-zombie-');
      // sh starts the holder in the background and becomes `sleep`, which never reaps its children.
      const parent = start('sh', ['-c', '"$0" "$@" & exec sleep 60', ...holderArgs('lock', dataDir)]);
      const pid = Number(/^holding pid=(\d+)$/.exec(await parent.firstLine)?.[1]);
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(() => expect(procStat(pid).state).toBe('Z'), { timeout: 5_000, interval: 10 });
      // node is multi-threaded: its main thread shows Z while its other threads still exit, and they hold the
      // process's files (the lock socket) until the last one is gone. Wait for the zombie proper: one thread left.
      await vi.waitFor(() => expect(threadsOf(pid)).toBe(1), { timeout: 5_000, interval: 10 });
      expect(procStat(pid).parent).toBe(parent.child.pid);
      expect(() => process.kill(pid, 0)).not.toThrow(); // the zombie still "exists" to a pid check

      const lock = await lockDataDir(dataDir);
      expect(existsSync(lock.path)).toBe(true);
      lock.release();
    },
  );

  it.skipIf(!canUnshare)('restart after kill -9 as pid 1 in a fresh pid namespace opens the database; a second live pid 1 is refused', async () => {
    const dataDir = tempDir('sb-pid1-');
    const first = inNewPidNamespace('database', dataDir);
    expect(await first.firstLine).toBe('holding pid=1 rows=1');

    // Another container on the same volume, also pid 1 in its namespace, while the first is alive.
    const second = inNewPidNamespace('lock', dataDir);
    expect(await second.firstLine).toContain('refused: ');
    expect(await second.firstLine).toContain('in use by another Switchboard process (pid 1)');
    expect(await second.exit).toBe(3);

    // kill -9 of the first namespace's pid 1, from outside it (as `docker kill` does).
    const [init] = childrenOf(first.child.pid!);
    expect(init).toBeGreaterThan(1);
    process.kill(init!, 'SIGKILL');
    await first.exit;
    expect(existsSync(join(dataDir, 'switchboard.lock'))).toBe(true);

    const restarted = inNewPidNamespace('database', dataDir);
    expect(await restarted.firstLine).toBe('holding pid=1 rows=2');
  });

  it('a lock file left by an earlier version (a plain file holding a pid) is taken over', async () => {
    const dataDir = tempDir('sb-stale-');
    writeFileSync(join(dataDir, 'switchboard.lock'), '99999999');
    const lock = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toThrow(DataDirLockedError);
    lock.release();
    (await lockDataDir(dataDir)).release();
  });

  it.skipIf(process.platform !== 'linux')(
    // Elsewhere a directory this deep is refused with a message instead (no /proc/self/fd to reach it through).
    'a data directory deeper than a socket address allows is locked in that directory',
    async () => {
      const dataDir = join(tempDir('sb-deep-'), 'd'.repeat(100), 'data');
      mkdirSync(dataDir, { recursive: true });
      const lock = await lockDataDir(dataDir);
      expect(readdirSync(dataDir)).toEqual(['switchboard.lock']);
      await expect(lockDataDir(dataDir)).rejects.toThrow(`(pid ${process.pid})`);
      lock.release();
      expect(readdirSync(dataDir)).toEqual([]);
    },
  );
});
