/**
 * HTTP doors of messaging: Twilio's inbound-SMS and status-callback webhooks (signature checked, TwiML
 * answers) and the unsubscribe link from marketing e-mail (GET shows a confirm button, POST unsubscribes;
 * mail providers' RFC 8058 one-click POST lands on the same URL).
 */
import { messageLanguage } from '../i18n/language.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { setConsent } from '../customers/consent.js';
import { inboundReply, receiveInbound } from './inbound.js';
import type { MessagingBatches } from './batches.js';
import { receiveStatusCallback } from './status-callback.js';
import { hasValidTwilioSignature, twiml } from './twilio-signature.js';
import { readUnsubscribeToken } from './unsubscribe-token.js';

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

export function messagingRoutes(app: FastifyInstance, context: AppContext, batches: MessagingBatches): void {
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
    await receiveStatusCallback(context, batches, {
      clientId: slug,
      outboxId: Number.isSafeInteger(outboxParam) && outboxParam > 0 ? outboxParam : null,
      messageSid: parsed.data.MessageSid,
      status: parsed.data.MessageStatus,
      to: parsed.data.To,
      errorCode: parsed.data.ErrorCode ?? null,
      errorMessage: parsed.data.ErrorMessage ?? null,
      params,
    });
    return reply.code(204).send();
  });

  // A wildcard, not `:token`: sealed tokens are longer than Fastify's 100-character parameter limit.
  const tokenParams = z.object({ '*': z.string().min(1).max(2000) });
  const page = (reply: FastifyReply, status: number, title: string, body: string, language = 'en') =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>${title}</h1>${body}</body></html>`);

  /** The page speaks the recipient's remembered language (the customer with that e-mail), else the office's. */
  const recipientLanguage = async (clientId: string, address: string) => {
    const config = context.clients.get(clientId)!.config;
    const customer = await context.db
      .selectFrom('customers')
      .select('preferred_language')
      .where('client_id', '=', clientId)
      .where('email', '=', address)
      .where('preferred_language', 'is not', null)
      .executeTakeFirst();
    return messageLanguage(config, customer?.preferred_language);
  };

  // An empty or oversized token is just an invalid link (a 404 page), never a thrown schema error (a 500).
  const tokenOf = (params: unknown) => {
    const parsed = tokenParams.safeParse(params);
    return parsed.success ? parsed.data['*'] : undefined;
  };

  app.get('/v1/unsubscribe/*', async (request, reply) => {
    const token = tokenOf(request.params);
    const subject = token === undefined ? undefined : readUnsubscribeToken(context.secretBox, token);
    const client = subject && context.clients.get(subject.clientId);
    if (!subject || !client) return page(reply, 404, 'Link not valid', '<p>This unsubscribe link is not valid. Reply STOP to any text, or contact the office.</p>');
    // Mail scanners follow links; only the button (a POST) unsubscribes.
    const language = await recipientLanguage(subject.clientId, subject.address);
    const say = phrasesFor(language).unsubscribePage;
    const office = escapeHtml(client.config.name);
    return page(reply, 200, say.title(office), `<p>${say.question(office)}</p><form method="post"><button type="submit">${say.button}</button></form>`, language);
  });

  app.post('/v1/unsubscribe/*', async (request, reply) => {
    const token = tokenOf(request.params);
    const subject = token === undefined ? undefined : readUnsubscribeToken(context.secretBox, token);
    const client = subject && context.clients.get(subject.clientId);
    if (!subject || !client) return page(reply, 404, 'Link not valid', '<p>This unsubscribe link is not valid.</p>');
    await context.db.transaction().execute((trx) =>
      setConsent(trx, context, { clientId: subject.clientId, channel: subject.channel, address: subject.address, purpose: 'marketing', status: 'opted_out', source: 'email_link' }),
    );
    const language = await recipientLanguage(subject.clientId, subject.address);
    const say = phrasesFor(language).unsubscribePage;
    return page(reply, 200, say.doneTitle, `<p>${say.done(escapeHtml(client.config.name))}</p>`, language);
  });
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
