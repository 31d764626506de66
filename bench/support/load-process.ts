/**
 * The ingest benchmark's load generator, in a process of its own (`runLoad(spec)` spawns this file): it builds
 * every signed request first (bench/support/bodies.ts), then only writes pre-built bytes on keep-alive sockets
 * and reads the status line and length of each answer, so its own cost per request is small and the same for
 * every server it loads. Prints one JSON line of figures on stdout.
 *
 * - closed loop: `connections` sockets, each sending its next request as soon as the previous one is answered,
 *   for `durationS` seconds or until the distinct requests run out (`cycle` reuses them, for servers without
 *   idempotency);
 * - open loop: `rate` requests/s at even intervals whatever the answers do, each latency counted from the moment
 *   the request was due (a server that falls behind is charged for the wait).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { prepareLoad, requestBuffers, type BodyMix, type PreparedLoad } from './bodies.js';

export interface LoadSpec {
  port: number;
  path: string;
  apiKey: string;
  mix: BodyMix;
  tag: string;
  /** Distinct requests built before the load starts. */
  count: number;
  mode: 'closed' | 'open';
  connections: number;
  durationS: number;
  /** Open loop only: requests per second. */
  rate?: number;
  /** Closed loop: start again from the first request when they run out (for servers that store nothing). */
  cycle?: boolean;
  /** Calls interleaved at one stage (see bodies.ts). */
  window?: number;
}

export interface LoadFigures {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  p999: number;
  meanBodyBytes: number;
  /** Epoch ms when the measured load started and ended (to match server-side records). */
  startedAt: number;
  endedAt: number;
  /** Requests sent per event type. */
  events: Record<string, number>;
}

/** One keep-alive HTTP/1.1 connection with one request in flight; answers resolve with the status code. */
class Connection {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve(status: number): void; reject(error: Error): void } | undefined;
  readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1', noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error: Error) => {
      const waiter = this.waiting;
      this.waiting = undefined;
      waiter?.reject(error);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let total = end + 4;
    if (length) total += Number(length[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = this.buffer.indexOf('0\r\n\r\n', end + 4);
      if (last < 0) return;
      total = last + 5;
    }
    if (this.buffer.length < total) return;
    this.buffer = this.buffer.subarray(total);
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter.resolve(status);
  }

  send(buffers: Buffer[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.cork();
      for (const buffer of buffers) this.socket.write(buffer);
      this.socket.uncork();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 100) / 100;
}

export async function generate(spec: LoadSpec): Promise<LoadFigures> {
  const load: PreparedLoad = prepareLoad({
    mix: spec.mix,
    count: spec.count,
    path: spec.path,
    host: `127.0.0.1:${spec.port}`,
    tag: spec.tag,
    apiKey: spec.apiKey,
    window: spec.window,
  });
  const buffers = load.requests.map((request) => requestBuffers(load, request));
  const connections = Array.from({ length: spec.connections }, () => new Connection(spec.port));
  await Promise.all(connections.map((connection) => connection.ready));
  const latencies: number[] = [];
  const events: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let next = 0;
  const record = (index: number, status: number, since: number) => {
    latencies.push(performance.now() - since);
    if (status >= 200 && status < 300) ok++;
    else non2xx++;
    const event = load.templates[load.requests[index]!.template]!.event;
    events[event] = (events[event] ?? 0) + 1;
  };
  const startedAt = Date.now();
  const started = performance.now();
  const stopAt = started + spec.durationS * 1000;
  if (spec.mode === 'closed') {
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < stopAt) {
          if (next >= buffers.length) {
            if (!spec.cycle) return;
            next = 0;
          }
          const index = next++;
          const since = performance.now();
          try {
            record(index, await connection.send(buffers[index]!), since);
          } catch {
            errors++;
            return;
          }
        }
      }),
    );
  } else {
    const interval = 1000 / spec.rate!;
    const idle = [...connections];
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; ; i++) {
      const due = started + i * interval;
      if (due >= stopAt || i >= buffers.length) break;
      const wait = due - performance.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      let connection = idle.pop();
      if (!connection) {
        connection = new Connection(spec.port);
        await connection.ready;
      }
      const used = connection;
      const work = used.send(buffers[i]!).then(
        (status) => {
          record(i, status, due);
          idle.push(used);
        },
        () => {
          errors++;
        },
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }
    await Promise.all(inFlight);
  }
  const seconds = (performance.now() - started) / 1000;
  const endedAt = Date.now();
  for (const connection of connections) connection.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent: latencies.length + errors,
    ok,
    non2xx,
    errors,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round(latencies.length / seconds),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    meanBodyBytes: load.meanBodyBytes,
    startedAt,
    endedAt,
    events,
  };
}

const here = fileURLToPath(import.meta.url);
const FLAG = '--bench-load';

/** Runs one load in a child process and answers its figures. */
export function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', here, FLAG, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadFigures);
      } catch (error) {
        reject(error);
      }
    });
  });
}

const flagAt = process.argv.indexOf(FLAG);
if (flagAt > 0) {
  process.stdout.write(`${JSON.stringify(await generate(JSON.parse(process.argv[flagAt + 1]!) as LoadSpec))}\n`);
  process.exit(0);
}
