/**
 * Where a function request spends its time (issue 21: "time each step first"). Nothing is measured unless someone
 * subscribes to `functionStepsChannel` (the 200-call benchmark does): then every Retell function request runs with a
 * record in AsyncLocalStorage, the steps below add to it, and the function route publishes it when the answer is ready.
 *
 * Steps are named `phase:…` (the route's parts of one request: language, claim, handler, storing the answer; they do not
 * overlap), `book:…` / `availability:…` (the handler's own parts, inside `phase:handler`), or `db:…` / `calendar:…`
 * (resources, summed over the request: a calendar read and a database read made side by side both count in full). `db:wait` is the wait for a pooled PostgreSQL connection,
 * `db:query` a statement from sent to answered (on PGlite that includes waiting for the one session),
 * `calendar:read` a calendar read this request made, `calendar:joined` the wait for a read another request had
 * already sent (view-sharing.ts), `calendar:write` a create/update/remove at the vendor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';

export interface FunctionSteps {
  function: string;
  callId: string;
  /** `performance.now()` when the function route took the request (signature checked, body parsed). */
  startedAt: number;
  /** From then until the answer is ready, ms. */
  totalMs: number;
  /** Per step: total ms and how many times it ran. */
  steps: Record<string, { ms: number; n: number }>;
}

export const functionStepsChannel = diagnostics.channel('switchboard:function-steps');

const storage = new AsyncLocalStorage<FunctionSteps>();
/** Records already published: work that goes on after the answer (a booking past its budget) adds nothing to them. */
const published = new WeakSet<FunctionSteps>();

/** Runs a function request, recording its steps when anyone listens; publishes the record once it has answered. */
export async function measureSteps<T>(fn: string, callId: string, work: () => Promise<T>): Promise<T> {
  if (!functionStepsChannel.hasSubscribers) return work();
  const record: FunctionSteps = { function: fn, callId, startedAt: performance.now(), totalMs: 0, steps: {} };
  try {
    return await storage.run(record, work);
  } finally {
    record.totalMs = performance.now() - record.startedAt;
    published.add(record);
    functionStepsChannel.publish({ ...record, steps: structuredClone(record.steps) });
  }
}

/** Adds `ms` to a step of the request this code runs for (nothing outside a measured request). */
export function addStep(step: string, ms: number): void {
  const record = storage.getStore();
  if (!record || published.has(record)) return;
  const entry = (record.steps[step] ??= { ms: 0, n: 0 });
  entry.ms += ms;
  entry.n += 1;
}

/** Times `work` as `step` of the current request; a plain call when nothing is measured. */
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const record = storage.getStore();
  if (!record) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (!published.has(record)) {
      const entry = (record.steps[step] ??= { ms: 0, n: 0 });
      entry.ms += performance.now() - started;
      entry.n += 1;
    }
  }
}
