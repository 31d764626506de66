/**
 * One decision per message: ask the provider once within the budget (3 s), keep its text only if `checkRewrite`
 * passes, else keep the template and say why. The decision is a value the caller stores with the message, so a
 * retry never asks (or waits) again.
 */
import { checkRewrite, type FactContext } from './facts.js';
import type { RewriteInput, RewritePort } from './port.js';

export const REWRITE_BUDGET_MS = 3_000;

export interface RewriteDecision {
  text: string;
  rewritten: boolean;
  /** Why the template was kept (`budget`, a failed check, a provider error), or `rewritten`. */
  reason: string;
  /** The reason as a code without any text of the message, for logs: `rewritten`, `off`, `budget`, `provider_error`, `lost_time`, … */
  code: string;
}

export async function decideRewrite(
  port: RewritePort | undefined,
  input: RewriteInput,
  facts: FactContext,
  budgetMs = REWRITE_BUDGET_MS,
): Promise<RewriteDecision> {
  const keep = (reason: string, code: string): RewriteDecision => ({ text: input.text, rewritten: false, reason, code });
  if (!port) return keep('rewrite is off', 'off');
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<'budget'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('budget');
    }, budgetMs);
  });
  try {
    const candidate = await Promise.race([port.rewrite(input, controller.signal), budget]);
    if (candidate === 'budget') return keep(`no answer within ${budgetMs} ms`, 'budget');
    const text = candidate.trim();
    const check = checkRewrite(input.text, text, input.channel, facts);
    return check.ok ? { text, rewritten: true, reason: 'rewritten', code: 'rewritten' } : keep(check.reason, check.code);
  } catch (error) {
    return keep(`the provider failed: ${(error as Error).message}`, 'provider_error');
  } finally {
    clearTimeout(timer);
  }
}
