/**
 * SendGrid's ECDSA-signed event webhook for an office (issue 19): delivery status of e-mails, and unsubscribes and spam
 * reports into the one consent list. SendGrid's event names end here (providers/sendgrid/events.ts makes them
 * neutral). A bad or missing signature is 401.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { setConsent } from '../customers/consent.js';
import { hasValidSendgridSignature, neutralSendgridEvent } from '../providers/sendgrid/events.js';

const paramsSchema = z.object({ client: z.string() });

export function sendgridRoutes(app: FastifyInstance, context: AppContext): void {
  const officeWith = (request: FastifyRequest, reply: FastifyReply): ClientRuntime | undefined => {
    const { client: slug } = paramsSchema.parse(request.params);
    const client = context.clients.get(slug);
    if (!client || !client.config.providers?.email?.some((entry) => entry.provider === 'sendgrid')) {
      void reply.code(404).send({ error: 'not_found', message: `No office "${slug}" that sends through SendGrid.` });
      return undefined;
    }
    return client;
  };

  app.post('/v1/sendgrid/:client/events', async (request, reply) => {
    const client = officeWith(request, reply);
    if (!client) return reply;
    if (!hasValidSendgridSignature(client.secrets.sendgridWebhookKey, request.rawBody ?? '', request.headers, context.clock.now())) {
      return reply.code(401).send({
        error: 'invalid_signature',
        message: 'The X-Twilio-Email-Event-Webhook-Signature / -Timestamp headers are missing, stale or do not match this request.',
      });
    }
    if (!Array.isArray(request.body))
      return reply.code(400).send({ error: 'invalid_request', message: 'The SendGrid event webhook posts a JSON array of events.' });
    const slug = client.config.slug;
    const now = context.clock.now();
    for (const raw of request.body as unknown[]) {
      if (!raw || typeof raw !== 'object') continue;
      const event = neutralSendgridEvent(raw as Record<string, unknown>);
      if (!event) continue;
      if (event.status) {
        await context.messageBatches.recordStatusEvent({
          clientId: slug,
          outboxId: null,
          channel: 'email',
          providerId: event.providerId,
          to: event.to,
          status: event.status,
          errorCode: event.errorCode ?? null,
          errorMessage: event.errorMessage ?? null,
          at: now,
          params: { event_id: event.eventId },
          provider: 'sendgrid',
        });
      }
      if (event.optOut) {
        await context.db.transaction().execute((trx) =>
          setConsent(trx, context, {
            clientId: slug,
            channel: 'email',
            address: event.to,
            purpose: event.optOut!,
            status: 'opted_out',
            source: 'email_link',
            actor: 'sendgrid',
          }),
        );
      }
    }
    return reply.code(204).send();
  });
}
