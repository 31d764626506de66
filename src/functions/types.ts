/**
 * The shape of a Retell custom function (tool). One file per function under src/functions/, each exporting
 * a RetellFunction; registry.ts routes a request to it by name.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { CommitGate } from '../core/commit-gate.js';
import type { ClientRuntime } from '../config/registry.js';
import type { DB } from '../db/schema.js';
import type { Language } from '../i18n/phrases/index.js';

/** The part of Retell's call object a function sees (the live call). */
export interface FunctionCall {
  callId: string;
  agentId: string | undefined;
  /** Caller number, E.164, when Retell sent one. */
  fromNumber: string | undefined;
  toNumber: string | undefined;
  /** The language the caller is answered in (`i18n/language.ts`); English when not set. */
  language?: Language;
}

export interface FunctionInput<Args> {
  context: AppContext;
  client: ClientRuntime;
  call: FunctionCall;
  args: Args;
  /** Aborted when the function's time budget (booking.functionBudgetMs) runs out. */
  signal: AbortSignal;
  /**
   * Decides between the fallback answer and a commit: a function whose transaction must not stand once the caller
   * heard the fallback enters it right before COMMIT (`core/commit-gate.ts`); the router's budget closes it.
   */
  gate: CommitGate;
}

/** What the agent hears back: `message` is a sentence the agent can say or act on. */
export interface FunctionResult {
  ok: boolean;
  message: string;
  [key: string]: unknown;
}

export interface RetellFunction<Schema extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** zod schema for `args`; a mismatch answers `{ ok: false, message }` telling the agent what to ask. */
  args: Schema;
  /**
   * Whether a second identical call may simply run again. Side-effecting functions say false: a repeat of
   * the same (call, function, args) returns the first answer.
   */
  safeToRepeat: boolean;
  handle(input: FunctionInput<z.infer<Schema>>): Promise<FunctionResult>;
}

export type DbOrTrx = Kysely<DB>;
