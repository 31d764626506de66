/**
 * The optional LLM rewrite at send time (issue 17): right before the first attempt of a follow-up text or e-mail, one
 * decision (`decide.ts`, 3 s budget) is taken and written into the row's payload with its reason. Every later run
 * finds it there and never asks, or waits, again; a rewrite that was used is what the payload's body now says, so a
 * lost answer is reconciled against the text that actually went out. Which messages may be reworded: `nurture` and
 * `after_appointment` (thank-you, review request, rebook offer) only, never confirmations, reminders, notices,
 * missed-call texts, keyword replies or staff-written messages (docs/decisions.md, "The follow-up rewrite at send time").
 */
import type { AppContext } from '../../app-context.js';
import type { ClientConfig } from '../../config/client-schema.js';
import { json } from '../../db/json.js';
import type { OutboxRow } from '../../db/schema.js';
import { officeLanguage } from '../../i18n/language.js';
import { phrasesFor } from '../../i18n/phrases/index.js';
import { redactCallerText } from '../../log/redact-caller-text.js';
import type { HandlerContext } from '../../outbox/handlers.js';
import type { MessagePayload, MessageSequence, RewriteRecord } from '../payload.js';
import { smsSegments } from '../segments.js';
import { decideRewrite } from './decide.js';
import type { FactContext } from './facts.js';
import type { RewritePort } from './port.js';

/** The process's rewrite provider, built once by main.ts (`context.rewriter`); absent when none is configured. */
export interface Rewriter {
  port: RewritePort;
  /** `anthropic` or `emulator`, recorded with each decision. */
  provider: string;
  /** The budget for one answer (3 s; tests shorten it instead of sleeping through it). */
  budgetMs: number;
}

export const REWRITABLE_SEQUENCES: ReadonlySet<MessageSequence> = new Set<MessageSequence>(['nurture', 'after_appointment']);

const SUMMARY_LIMIT = 1_200;

/**
 * Decides once whether `payload` goes out reworded and stores the decision in the row. Mutates `payload` (the body or
 * the text becomes the rewrite when it is used); does nothing for messages that may not be reworded, for offices that
 * did not turn it on, and for any run after the first attempt.
 */
export async function applyRewriteDecision(context: AppContext, row: OutboxRow, payload: MessagePayload, handler: HandlerContext): Promise<void> {
  if (payload.rewrite || payload.template === 'manual' || !REWRITABLE_SEQUENCES.has(payload.sequence) || handler.attempt > 1) return;
  const config = context.clients.get(row.client_id)?.config;
  if (!config?.insights.rewrite.enabled) return;
  const channel = row.kind === 'email' ? 'email' : 'sms';
  const text = channel === 'sms' ? payload.body : payload.text;
  if (!text) return;

  const started = performance.now();
  const record = await decide(context, row, payload, config, channel, text);
  if (record.used) {
    record.original = text;
    if (channel === 'sms') {
      const info = smsSegments(record.text!);
      Object.assign(payload, { body: record.text, segments: info.segments, encoding: info.encoding });
    } else {
      payload.text = record.text;
    }
  }
  delete record.text;
  payload.rewrite = record;
  await context.db
    .updateTable('outbox')
    .set({ payload: json(payload), updated_at: handler.clock.now() })
    .where('id', '=', row.id)
    .execute();
  // The code names what happened without a word of the message (the reason may quote a phone number or address).
  handler.logger.info(
    { outboxId: row.id, channel, sequence: payload.sequence, rewrite: record.code, provider: record.provider, ms: Math.round(performance.now() - started) },
    record.used ? 'Follow-up reworded by the LLM' : 'Follow-up sent as the template',
  );
}

async function decide(
  context: AppContext,
  row: OutboxRow,
  payload: MessagePayload,
  config: ClientConfig,
  channel: 'sms' | 'email',
  text: string,
): Promise<RewriteRecord & { text?: string }> {
  const at = context.clock.now().toISOString();
  const keep = (code: string, reason: string): RewriteRecord => ({ used: false, code, reason, at });
  if (!context.rewriter) return keep('not_configured', 'No LLM is configured for this server (ANTHROPIC_API_KEY); the template was sent.');
  if (channel === 'email' && payload.html)
    return keep('html', 'The e-mail has an HTML part, which a reworded text would no longer match; the template was sent.');
  const summary = await callSummary(context, row);
  if (!summary) return keep('no_summary', 'There is no call summary to fit the message to; the template was sent.');
  const language = (payload.language ?? officeLanguage(config)).startsWith('es') ? 'es' : 'en';
  const decision = await decideRewrite(context.rewriter.port, { summary, text, language, channel }, factContext(config), context.rewriter.budgetMs);
  return { used: decision.rewritten, code: decision.code, reason: decision.reason, at, provider: context.rewriter.provider, text: decision.text };
}

/** What may never change besides dates, times, prices, numbers and links: the office's name and address, the opt-out. */
function factContext(config: ClientConfig): FactContext {
  const optOuts = (['en', 'es'] as const).flatMap((language) => {
    const phrases = phrasesFor(language);
    return [phrases.optOutText, phrases.smsSafe(phrases.optOutText)];
  });
  return { verbatim: [config.name, config.address, ...optOuts] };
}

/**
 * The call's summary (already redacted when stored, redacted again here since it leaves for a vendor) with its
 * labels; never the transcript. Empty when the message has no call or the call neither a summary nor labels.
 */
async function callSummary(context: AppContext, row: OutboxRow): Promise<string> {
  if (!row.call_id) return '';
  const found = await context.db
    .selectFrom('calls')
    .leftJoin('call_insights', 'call_insights.call_id', 'calls.id')
    .select(['calls.summary', 'call_insights.intent', 'call_insights.needs', 'call_insights.urgency'])
    .where('calls.id', '=', row.call_id)
    .where('calls.client_id', '=', row.client_id)
    .executeTakeFirst();
  if (!found) return '';
  const parts: string[] = [];
  if (found.summary?.trim()) parts.push(redactCallerText(found.summary.trim()).slice(0, SUMMARY_LIMIT));
  if (found.intent && found.intent !== 'unknown') {
    const needs = found.needs?.length ? `; needs: ${found.needs.join(', ')}` : '';
    parts.push(`Labels: intent ${found.intent}; urgency ${found.urgency}${needs}.`);
  }
  return parts.join('\n');
}
