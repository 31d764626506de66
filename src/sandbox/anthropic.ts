/**
 * A local stand-in for Anthropic's Messages API (`POST /v1/messages`), for the optional follow-up rewrite in demo
 * mode and tests (issue 17). It answers in the API's shape (`type: "message"`, `content: [{type: "text"}]`, usage),
 * refuses a request without a key (401 `authentication_error`) or without `model`/`messages` (400
 * `invalid_request_error`), and rewrites with a scripted function: by default it only warms the greeting, keeping
 * every fact. Tests script it to change a time or add a link, which the fact check must refuse.
 */
import { z } from 'zod';
import { EmulatedVendor, startVendor } from './emulator.js';

export type RewriteScript = (message: string, request: { model: string; system?: string; prompt: string }) => string;

const requestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  system: z.string().optional(),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })).min(1),
});

/** The default: a friendlier opening, nothing else touched. */
export const warmGreeting: RewriteScript = (message) => message.replace(/Thanks for calling/, 'Thank you for calling');

export class AnthropicEmulator extends EmulatedVendor {
  script: RewriteScript = warmGreeting;
  private sequence = 0;
  /** When set, only this key is accepted (demo mode: the published demo key); unset, any key is. */
  private apiKey: string | undefined;

  static start(options: { port?: number; apiKey?: string } = {}): Promise<AnthropicEmulator> {
    return startVendor({ name: 'anthropic', port: options.port }, (emulator) => {
      const instance = new AnthropicEmulator(emulator);
      instance.apiKey = options.apiKey;
      instance.registerRoutes();
      return instance;
    });
  }

  /**
   * Also drops connections with a request still in flight: a rewrite abandoned at the budget leaves its keep-alive
   * socket open at this end, which Fastify's close would otherwise wait out (72 s).
   */
  async close(): Promise<void> {
    const closing = this.emulator.close();
    this.emulator.app.server.closeAllConnections();
    await closing;
  }

  private registerRoutes(): void {
    this.emulator.app.post('/v1/messages', async (request, reply) => {
      // The API takes `x-api-key`; @anthropic-ai/sdk 1.x sends the key as `Authorization: Bearer`.
      if (!request.headers['x-api-key'] && !/^Bearer \S+/.test(request.headers.authorization ?? '')) {
        return reply.code(401).send({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key or Authorization header is required' } });
      }
      const key = request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
      if (this.apiKey && key !== this.apiKey) {
        return reply.code(401).send({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      }
      const parsed = requestSchema.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ type: 'error', error: { type: 'invalid_request_error', message: parsed.error.issues[0]?.message ?? 'invalid request' } });
      }
      const prompt = parsed.data.messages.at(-1)!.content;
      // Our adapter puts the message after a "Message:" line; anything else is rewritten whole.
      const marker = prompt.indexOf('\nMessage:\n');
      const message = marker >= 0 ? prompt.slice(marker + '\nMessage:\n'.length) : prompt;
      const text = this.script(message, { model: parsed.data.model, system: parsed.data.system, prompt });
      this.sequence += 1;
      return reply.send({
        id: `msg_emulated_${this.sequence}`,
        type: 'message',
        role: 'assistant',
        model: parsed.data.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: Math.ceil(prompt.length / 4), output_tokens: Math.ceil(text.length / 4) },
      });
    });
  }
}
