/** Runs `switchboard start` as a real child process and waits for its banner (URL) on stdout. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Runs one `switchboard` command to its end (quiet logs, no dashboard build) and returns its exit code and output. */
export function runSwitchboard(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): { code: number | null; out: string } {
  const result = spawnSync(process.execPath, ['bin/switchboard.js', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, LOG_LEVEL: 'error', SWITCHBOARD_SKIP_WEB_BUILD: '1', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/switchboard.js', 'start'], {
      cwd: process.cwd(),
      env: { ...process.env, SWITCHBOARD_SKIP_WEB_BUILD: '1', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print its banner within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dashboard:\s+(http:\/\/[^/\s]+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.on('data', (more: Buffer) => (output += more.toString()));
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${output}`));
    });
  });
}
