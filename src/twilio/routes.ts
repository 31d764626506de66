/**
 * Twilio's webhooks for an office: inbound texts (STOP and the other keywords, answered with TwiML) and delivery-status
 * callbacks, each signed with the office's auth token (X-Twilio-Signature; 401 when it does not match). Twilio's words
 * (MessageSid, ErrorCode 21610) end here: messaging receives a neutral inbound text or status change.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { inboundReply, receiveInbound } from '../messaging/inbound.js';
import { receiveStatusCallback } from '../messaging/status-callback.js';
import { hasValidTwilioSignature, twiml } from './signature.js';

/** Twilio's error for a number that replied STOP to the sender: Twilio itself refuses to text it from now on. */
export const TWILIO_UNSUBSCRIBED = '21610';

const paramsSchema = z.object({ client: z.string() });
const inboundSchema = z.object({ MessageSid: z.string().min(1), From: z.string().min(1), To: z.string().default(''), Body: z.string().default('') });
const statusSchema = z.object({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  To: z.string().default(''),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
});

function flatten(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '');
  }
  return out;
}

export function twilioRoutes(app: FastifyInstance, context: AppContext): void {
  const authenticate = (clientSlug: string, request: Parameters<typeof hasValidTwilioSignature>[2], reply: FastifyReply) => {
    const client = context.clients.get(clientSlug);
    if (!client) {
      void reply.code(404).send({ error: 'not_found', message: `No client "${clientSlug}".` });
      return undefined;
    }
    if (!hasValidTwilioSignature(client.secrets.twilioAuthToken, context.publicBaseUrl, request)) {
      void reply.code(401).send({ error: 'invalid_signature', message: 'The X-Twilio-Signature header is missing or does not match this request.' });
      return undefined;
    }
    return client;
  };

  app.post('/v1/twilio/:client/inbound', async (request, reply) => {
    const { client: slug } = paramsSchema.parse(request.params);
    const client = authenticate(slug, request, reply);
    if (!client) return reply;
    const parsed = inboundSchema.safeParse(flatten(request.body));
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'An inbound text needs MessageSid and From.' });
    const result = await receiveInbound(context, {
      clientId: slug,
      messageSid: parsed.data.MessageSid,
      from: parsed.data.From,
      to: parsed.data.To,
      body: parsed.data.Body,
    });
    return reply.type('text/xml').send(twiml(inboundReply(client.config, result)));
  });

  app.post('/v1/twilio/:client/status', async (request, reply) => {
    const { client: slug } = paramsSchema.parse(request.params);
    if (!authenticate(slug, request, reply)) return reply;
    const params = flatten(request.body);
    const parsed = statusSchema.safeParse(params);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'A status callback needs MessageSid and MessageStatus.' });
    const outboxParam = Number((request.query as Record<string, unknown>)?.outbox);
    await receiveStatusCallback(context, context.messageBatches, {
      clientId: slug,
      outboxId: Number.isSafeInteger(outboxParam) && outboxParam > 0 ? outboxParam : null,
      messageSid: parsed.data.MessageSid,
      status: parsed.data.MessageStatus,
      to: parsed.data.To,
      errorCode: parsed.data.ErrorCode ?? null,
      errorMessage: parsed.data.ErrorMessage ?? null,
      params,
      provider: 'twilio',
      optedOut: parsed.data.ErrorCode === TWILIO_UNSUBSCRIBED,
    });
    return reply.code(204).send();
  });
}
