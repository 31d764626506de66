/**
 * Runs a Retell custom function by name. Side-effecting functions run once per (call, function, args): the
 * first answer is stored in `function_invocations` and replayed to a repeat (Retell retries tools on timeout,
 * and the agent may ask twice). Nothing a function throws reaches Retell as an error: the agent gets a
 * sentence to say and staff get an alert.
 *
 * Arguments are what the agent heard from the caller, so every string in them passes through `redactCallerText`
 * here, once, before anything stores or uses them (per client `retell.redactTranscripts`): notes, reasons, names,
 * preferred times alike. The fields a function needs exactly come through unchanged because the rules keep their
 * valid forms: dates and ISO start times (`date`, `start`, `new_start`), phone numbers written or spoken
 * (`phone`, `callback_number`), e-mail addresses (`email`), `bk_…` booking ids, clock times ("2:30 PM"). A value the
 * rules would change there (an SSN given as a phone number) is not a valid one either, and the function answers as
 * it does for any invalid value.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { json } from '../db/json.js';
import { canonicalJson } from '../core/canonical.js';
import { CommitGate } from '../core/commit-gate.js';
import { errorMessage } from '../core/errors.js';
import { timed } from '../core/step-times.js';
import { maskText } from '../log/mask.js';
import { redactCallerValues } from '../log/redact-caller-text.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import { argsProblemMessage } from './args-message.js';
import { findRetellFunction } from './registry.js';
import type { FunctionCall, FunctionResult, RetellFunction } from './types.js';

/** How often a repeat polls for the first attempt's answer while that attempt is still running. */
const REPLAY_POLL_MS = 25;

export type FunctionOutcome = { kind: 'unknown_function'; name: string } | { kind: 'answered'; result: FunctionResult; replayed: boolean };

const fallbackMessage = (call: FunctionCall) => phrasesFor(call.language).functions.fallback;

interface RunResult {
  result: FunctionResult;
  /** Set when the budget ran out first: the handler's own answer, still on its way. */
  late?: Promise<FunctionResult>;
}

/**
 * How long past its budget a function whose outcome is already being committed may take to answer. Retell waits
 * `NETWORK_MARGIN_MS` (4 s) past the budget (tool-schemas.ts), so this leaves half of that for the network.
 */
export const COMMIT_GRACE_MS = 2000;

async function runOnce(fn: RetellFunction, context: AppContext, client: ClientRuntime, call: FunctionCall, args: unknown): Promise<RunResult> {
  const budgetMs = client.config.booking.functionBudgetMs;
  const controller = new AbortController();
  const gate = new CommitGate();
  let timer: NodeJS.Timeout | undefined;
  const work = fn.handle({ context, client, call, args, signal: controller.signal, gate });
  const timeout = (ms: number) =>
    new Promise<'timeout'>((resolve) => {
      clearTimeout(timer);
      timer = setTimeout(() => resolve('timeout'), ms);
    });
  try {
    const first = await Promise.race([work, timeout(budgetMs)]);
    if (first !== 'timeout') return { result: first };
    if (!gate.close()) {
      // The work's transaction was let through to commit before the budget ran out: its outcome, and nothing else,
      // is the answer. A commit that takes longer still gets an answer that stays true whatever it turns out to be;
      // the real one is stored for the agent's repeat.
      const committed = await Promise.race([work, timeout(COMMIT_GRACE_MS)]);
      if (committed !== 'timeout') return { result: committed };
      return { result: { ok: false, message: phrasesFor(call.language).functions.stillProcessing, pending: true }, late: work };
    }
    // Closed: nothing this work does can commit any more, so the fallback stays true.
    controller.abort(new Error(`${fn.name} ran past its ${budgetMs} ms budget`));
    return { result: { ok: false, message: fallbackMessage(call), timed_out: true }, late: work };
  } finally {
    clearTimeout(timer);
  }
}

async function reportFailure(context: AppContext, client: ClientRuntime, fn: RetellFunction, call: FunctionCall, error: unknown) {
  context.logger.error({ err: error, function: fn.name, callId: call.callId }, 'Retell function failed');
  await context.alerts.raise({
    clientId: client.config.slug,
    source: 'retell.function',
    fingerprint: `retell.function:${fn.name}:${error instanceof Error ? error.name : 'error'}`,
    message: `The ${fn.name} function failed during a call: ${maskText(errorMessage(error))}. The agent told the caller staff will follow up.`,
    callId: call.callId,
  });
}

export async function routeFunction(context: AppContext, client: ClientRuntime, name: string, rawArgs: unknown, call: FunctionCall): Promise<FunctionOutcome> {
  const fn = findRetellFunction(name);
  if (!fn) return { kind: 'unknown_function', name };
  const started = performance.now();
  const observe = (outcome: string) => context.metrics.functionDuration.observe({ function: fn.name, outcome }, (performance.now() - started) / 1000);

  const parsed = fn.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    observe('invalid_args');
    return { kind: 'answered', replayed: false, result: { ok: false, message: argsProblemMessage(fn.args, parsed.error) } };
  }
  const args = client.config.retell.redactTranscripts ? redactCallerValues(parsed.data) : parsed.data;

  if (fn.safeToRepeat) {
    try {
      const { result, late } = await timed('phase:handler', () => runOnce(fn, context, client, call, args));
      late?.catch((error: unknown) => reportFailure(context, client, fn, call, error));
      await timed('phase:record answer', () => recordAnswer(context, client.config.slug, call.callId, fn.name, args, result));
      observe(result.ok ? 'ok' : 'not_ok');
      return { kind: 'answered', replayed: false, result };
    } catch (error) {
      await reportFailure(context, client, fn, call, error);
      observe('error');
      return { kind: 'answered', replayed: false, result: { ok: false, message: fallbackMessage(call) } };
    }
  }

  const argsText = canonicalJson(args);
  const argsHash = createHash('sha256').update(argsText).digest('hex');
  const clientId = client.config.slug;
  const claimed = await timed('phase:claim', () =>
    context.db
      .insertInto('function_invocations')
      .values({
        client_id: clientId,
        call_id: call.callId,
        name: fn.name,
        args_hash: argsHash,
        args: json(JSON.parse(argsText)),
        status: 'running',
        result: null,
        created_at: context.clock.now(),
        finished_at: null,
      })
      .onConflict((conflict) => conflict.columns(['call_id', 'name', 'args_hash']).doNothing())
      .returning('id')
      .executeTakeFirst(),
  );

  if (!claimed) {
    const replay = await waitForFirstAnswer(context, call, fn.name, argsHash, client.config.booking.functionBudgetMs);
    observe('replayed');
    return { kind: 'answered', replayed: true, result: replay };
  }

  let run: RunResult;
  try {
    run = await timed('phase:handler', () => runOnce(fn, context, client, call, args));
  } catch (error) {
    // Nothing was stored as the answer, so a retry may try again; the claim is released.
    await context.db.deleteFrom('function_invocations').where('id', '=', claimed.id).execute();
    await reportFailure(context, client, fn, call, error);
    observe('error');
    return { kind: 'answered', replayed: false, result: { ok: false, message: fallbackMessage(call) } };
  }
  const store = (answer: FunctionResult) =>
    context.db
      .updateTable('function_invocations')
      .set({ status: 'done', result: json(answer), finished_at: context.clock.now() })
      .where('id', '=', claimed.id)
      .execute();
  const { result, late } = run;
  if (late) {
    // The work may still finish: a repeat waits for (and then replays) its real answer instead of doing it twice.
    late
      .then(store, async (error: unknown) => {
        await context.db.deleteFrom('function_invocations').where('id', '=', claimed.id).execute();
        await reportFailure(context, client, fn, call, error);
      })
      .catch((error: unknown) => context.logger.warn({ err: error }, 'Could not store a late function answer'));
    observe('timeout');
    return { kind: 'answered', replayed: false, result };
  }
  await timed('phase:store answer', () => store(result));
  observe(result.ok ? 'ok' : 'not_ok');
  return { kind: 'answered', replayed: false, result };
}

/**
 * Records what a repeatable function was asked and answered, so the call page shows everything the agent did
 * (a repeat with the same args keeps the latest answer). Best effort: the caller is already being answered.
 */
async function recordAnswer(context: AppContext, clientId: string, callId: string, name: string, args: unknown, result: FunctionResult) {
  const argsText = canonicalJson(args);
  const now = context.clock.now();
  try {
    await context.db
      .insertInto('function_invocations')
      .values({
        client_id: clientId,
        call_id: callId,
        name,
        args_hash: createHash('sha256').update(argsText).digest('hex'),
        args: json(JSON.parse(argsText)),
        status: 'done',
        result: json(result),
        created_at: now,
        finished_at: now,
      })
      .onConflict((conflict) => conflict.columns(['call_id', 'name', 'args_hash']).doUpdateSet({ result: json(result), finished_at: now }))
      .execute();
  } catch (error) {
    context.logger.warn({ err: error, function: name, callId }, 'Could not record a function answer for the call page');
  }
}

async function waitForFirstAnswer(context: AppContext, call: FunctionCall, name: string, argsHash: string, budgetMs: number): Promise<FunctionResult> {
  const deadline = performance.now() + budgetMs;
  for (;;) {
    const row = await context.db
      .selectFrom('function_invocations')
      .select(['status', 'result'])
      .where('call_id', '=', call.callId)
      .where('name', '=', name)
      .where('args_hash', '=', argsHash)
      .executeTakeFirst();
    if (row?.status === 'done' && row.result) return row.result as FunctionResult;
    if (!row) return { ok: false, message: fallbackMessage(call) };
    if (performance.now() > deadline) {
      return { ok: false, message: phrasesFor(call.language).functions.stillProcessing, pending: true };
    }
    await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
  }
}
