/**
 * The rewrite port on Anthropic's Messages API through the official `@anthropic-ai/sdk`. No retries (the budget is
 * 3 s and a retry would wait twice); the model is named by configuration, never guessed here. The SDK is loaded on
 * the first rewrite, so a server whose offices never turn the rewrite on does not pay for it at start-up.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { lazy } from '../../core/lazy.js';
import type { RewriteInput, RewritePort } from '../../messaging/rewrite/port.js';

export interface AnthropicRewriteOptions {
  apiKey: string;
  model: string;
  /** The sandbox emulator in demo mode and tests. */
  baseURL?: string;
  timeoutMs?: number;
}

const INSTRUCTIONS = [
  'You reword one follow-up message from a small business to a caller so it reads warmly and fits what the call was about.',
  'Keep every date, time, address, phone number, price, link and the opt-out sentence exactly as written.',
  'Add no facts, offers, prices, numbers or links. Do not make it longer. Answer with the message text only.',
].join(' ');

export function anthropicRewritePort(options: AnthropicRewriteOptions): RewritePort {
  const clientOf = lazy(() =>
    import('@anthropic-ai/sdk').then(
      ({ default: Sdk }): Anthropic => new Sdk({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 3_000 }),
    ),
  );
  return {
    async rewrite(input: RewriteInput, signal: AbortSignal): Promise<string> {
      const client = await clientOf();
      const message = await client.messages.create(
        {
          model: options.model,
          max_tokens: 600,
          system: INSTRUCTIONS,
          messages: [
            {
              role: 'user',
              content: `Language: ${input.language === 'es' ? 'Spanish' : 'English'}. Channel: ${input.channel}.\nCall summary: ${input.summary}\n\nMessage:\n${input.text}`,
            },
          ],
        },
        { signal },
      );
      return message.content
        .filter((block): block is Extract<typeof block, { type: 'text' }> => block.type === 'text')
        .map((block) => block.text)
        .join('');
    },
  };
}
