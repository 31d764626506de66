/**
 * Starts a bench helper process (emulators that are remote in real life) and talks to it: the child prints one
 * JSON line on stdout when it is ready, then answers `{ type, id, args }` IPC requests with `{ id, [answerKey]: … }`.
 * The child exits when the parent disconnects (`stop()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildService<Ready, Answer> {
  ready: Ready;
  /** Sends `{ type, id, args }` and resolves with the child's answer to that id. */
  ask(type: string, args?: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

export interface ChildServiceOptions {
  /** The TypeScript file to run (through bin/run-ts.js), or with `plain` a JavaScript file node runs as it is. */
  entry: string;
  /** Run `entry` with node directly, without tsx (a compiled or plain JavaScript entry). */
  plain?: boolean;
  /** What the child is called in errors ("sandbox process"). */
  name: string;
  /** Key of the answer inside the child's IPC message (`stats`, `report`). */
  answerKey: string;
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
  timeoutMs?: number;
}

export function startChildService<Ready, Answer>(options: ChildServiceOptions): Promise<ChildService<Ready, Answer>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.plain ? [] : ['bin/run-ts.js']), options.entry], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    let output = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${options.name} exited with ${code} before it was ready: ${output}`));
    });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (!line) return;
      started = true;
      clearTimeout(timer);
      // Anything the child prints later (e.g. node's --trace-gc) is passed through, not parsed again.
      child.stdout!.off('data', onData);
      child.stdout!.pipe(process.stderr);
      let nextId = 0;
      const waiting = new Map<number, (answer: Answer) => void>();
      child.on('message', (message: Record<string, unknown> & { id: number }) => waiting.get(message.id)?.(message[options.answerKey] as Answer));
      resolve({
        ready: JSON.parse(line) as Ready,
        ask: (type, args) =>
          new Promise((answer) => {
            const id = nextId++;
            waiting.set(id, (value) => {
              waiting.delete(id);
              answer(value);
            });
            child.send({ type, id, args });
          }),
        async stop() {
          child.disconnect();
          const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(forced);
        },
      });
    };
    child.stdout!.on('data', onData);
  });
}
