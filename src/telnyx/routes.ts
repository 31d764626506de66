/**
 * Telnyx's webhooks for an office (issue 19), verified at the edge and then handed to the same code paths as
 * Twilio's: the Ed25519-signed `message.received` (messaging/inbound.ts: STOP and the other keywords, one consent
 * list; a keyword reply Telnyx did not give itself is queued as a text back through Telnyx) and `message.sent` /
 * `message.finalized` (messaging/status-callback.ts, in neutral statuses). A bad or missing signature is 401.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { receiveInbound, type KeywordReplyOutcome } from '../messaging/inbound.js';
import { receiveStatusCallback } from '../messaging/status-callback.js';
import { neutralTelnyxStatus } from '../providers/telnyx/sms.js';
import { hasValidTelnyxSignature } from '../providers/telnyx/webhooks.js';

const paramsSchema = z.object({ client: z.string() });
const telnyxEvent = z.object({
  data: z.object({
    event_type: z.string().min(1),
    id: z.string().min(1),
    payload: z.object({
      id: z.string().min(1),
      text: z.string().default(''),
      from: z.object({ phone_number: z.string().min(1) }),
      to: z.array(z.object({ phone_number: z.string().min(1), status: z.string().optional() })).min(1),
      errors: z.array(z.object({ code: z.union([z.string(), z.number()]).transform(String), title: z.string().optional() })).default([]),
      /** Set on `message.received` when Telnyx's own keyword handling answered the text (`STOP`, `START`, `HELP`). */
      autoresponse_type: z.string().nullish(),
    }),
  }),
});

/** Telnyx's STOP block code: the recipient opted out at the carrier side. */
const TELNYX_BLOCKED = '40300';

export function telnyxRoutes(app: FastifyInstance, context: AppContext): void {
  const officeWith = (request: FastifyRequest, reply: FastifyReply): ClientRuntime | undefined => {
    const { client: slug } = paramsSchema.parse(request.params);
    const client = context.clients.get(slug);
    if (!client || !client.config.providers?.sms?.some((entry) => entry.provider === 'telnyx')) {
      void reply.code(404).send({ error: 'not_found', message: `No office "${slug}" that sends through Telnyx.` });
      return undefined;
    }
    return client;
  };

  app.post('/v1/telnyx/:client/webhook', async (request, reply) => {
    const client = officeWith(request, reply);
    if (!client) return reply;
    if (!hasValidTelnyxSignature(client.secrets.telnyxPublicKey, request.rawBody ?? '', request.headers, context.clock.now())) {
      return reply.code(401).send({
        error: 'invalid_signature',
        message: 'The telnyx-signature-ed25519 / telnyx-timestamp headers are missing, stale or do not match this request.',
      });
    }
    const parsed = telnyxEvent.safeParse(request.body);
    if (!parsed.success)
      return reply.code(400).send({ error: 'invalid_request', message: 'A Telnyx message webhook needs data.event_type, data.id and a message payload.' });
    const { event_type: type, payload } = parsed.data.data;
    const slug = client.config.slug;
    if (type === 'message.received') {
      const result = await receiveInbound(context, {
        clientId: slug,
        messageSid: payload.id,
        from: payload.from.phone_number,
        to: payload.to[0]!.phone_number,
        body: payload.text,
        // Telnyx takes no reply in the webhook's response: ours goes out as a text through Telnyx, unless Telnyx's own
        // auto-response already answered (English STOP/START/HELP; not ALTO, AYUDA or a plain-language request).
        replyThrough: { provider: 'telnyx', providerAnswered: Boolean(payload.autoresponse_type) },
      });
      return reply.code(200).send({ received: true, intent: result.intent, duplicate: result.duplicate, reply: replyView(result.reply) });
    }
    if (type === 'message.sent' || type === 'message.finalized') {
      const outboxParam = Number((request.query as Record<string, unknown>)?.outbox);
      const error = payload.errors[0];
      await receiveStatusCallback(context, context.messageBatches, {
        clientId: slug,
        outboxId: Number.isSafeInteger(outboxParam) && outboxParam > 0 ? outboxParam : null,
        messageSid: payload.id,
        status: neutralTelnyxStatus(payload.to[0]!.status),
        to: payload.to[0]!.phone_number,
        errorCode: error?.code ?? null,
        errorMessage: error?.title ?? null,
        params: { event_type: type, event_id: parsed.data.data.id, status: payload.to[0]!.status ?? '' },
        provider: 'telnyx',
        optedOut: error?.code === TELNYX_BLOCKED,
      });
      return reply.code(204).send();
    }
    // Other event types (e.g. number-order events) are not ours to handle: acknowledged so Telnyx stops retrying.
    return reply.code(204).send();
  });
}

function replyView(reply: KeywordReplyOutcome | undefined): string {
  if (reply === undefined) return 'none';
  return typeof reply === 'object' ? 'queued' : reply;
}
