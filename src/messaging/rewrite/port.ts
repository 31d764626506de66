/**
 * The optional LLM rewrite of a follow-up text (issue 17), off by default. A provider sees only the redacted call
 * summary and the template's rendered text and returns a candidate; `decide.ts` accepts it only when every fact of
 * the template survives (`facts.ts`). Adapters: providers/anthropic/rewrite.ts; sandbox/anthropic.ts in demo mode.
 */
export interface RewriteInput {
  /** Redacted call summary (log/redact-caller-text.ts has run on it). */
  summary: string;
  /** The chosen template, rendered: the only text the model may reword. */
  text: string;
  language: 'en' | 'es';
  channel: 'sms' | 'email';
}

export interface RewritePort {
  /** Resolves with the candidate text; must honour `signal` (the 3 s budget). */
  rewrite(input: RewriteInput, signal: AbortSignal): Promise<string>;
}
