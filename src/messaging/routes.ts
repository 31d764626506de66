/**
 * HTTP doors of messaging: the unsubscribe link from marketing e-mail (GET shows a confirm button, POST unsubscribes;
 * mail providers' RFC 8058 one-click POST lands on the same URL). The providers' own webhooks (inbound texts, delivery
 * status) belong to their vendor modules (src/twilio, src/telnyx, src/sendgrid).
 */
import { messageLanguage } from '../i18n/language.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { setConsent } from '../customers/consent.js';
import { readUnsubscribeToken } from './unsubscribe-token.js';

export function messagingRoutes(app: FastifyInstance, context: AppContext): void {
  // A wildcard, not `:token`: sealed tokens are longer than Fastify's 100-character parameter limit.
  const tokenParams = z.object({ '*': z.string().min(1).max(2000) });
  const page = (reply: FastifyReply, status: number, title: string, body: string, language = 'en') =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>${title}</h1>${body}</body></html>`,
      );

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
    if (!subject || !client)
      return page(reply, 404, 'Link not valid', '<p>This unsubscribe link is not valid. Reply STOP to any text, or contact the office.</p>');
    // Mail scanners follow links; only the button (a POST) unsubscribes.
    const language = await recipientLanguage(subject.clientId, subject.address);
    const say = phrasesFor(language).unsubscribePage;
    const office = escapeHtml(client.config.name);
    return page(
      reply,
      200,
      say.title(office),
      `<p>${say.question(office)}</p><form method="post"><button type="submit">${say.button}</button></form>`,
      language,
    );
  });

  app.post('/v1/unsubscribe/*', async (request, reply) => {
    const token = tokenOf(request.params);
    const subject = token === undefined ? undefined : readUnsubscribeToken(context.secretBox, token);
    const client = subject && context.clients.get(subject.clientId);
    if (!subject || !client) return page(reply, 404, 'Link not valid', '<p>This unsubscribe link is not valid.</p>');
    await context.db.transaction().execute((trx) =>
      setConsent(trx, context, {
        clientId: subject.clientId,
        channel: subject.channel,
        address: subject.address,
        purpose: 'marketing',
        status: 'opted_out',
        source: 'email_link',
      }),
    );
    const language = await recipientLanguage(subject.clientId, subject.address);
    const say = phrasesFor(language).unsubscribePage;
    return page(reply, 200, say.doneTitle, `<p>${say.done(escapeHtml(client.config.name))}</p>`, language);
  });
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
