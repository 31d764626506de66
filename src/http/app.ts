/**
 * The HTTP server: Fastify with raw-body JSON and form parsing (vendor signatures are computed over the exact
 * bytes), bodies cleaned of what the database refuses (`sanitize.ts`), request ids, per-route latency metrics,
 * and one error shape. Anything a caller can send gets a 4xx with a message, never a 5xx.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { AppContext, FeatureModule } from '../app-context.js';
import { VendorError } from '../core/errors.js';
import { maskText } from '../log/mask.js';
import { healthRoutes } from './health.js';
import { cleanForm, cleanJsonBody, parseForm } from './sanitize.js';
import { trustProxyOption } from './trust-proxy.js';
import { closeConnectionsAfterAnswer } from './close-promptly.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (JSON or form), for signature checks. */
    rawBody?: string;
  }
}

/** Default body limit; routes that take call transcripts raise it (a 60-minute call can exceed 1 MB). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

function badRequest(code: string, message: string): FastifyError {
  const error = new Error(message) as FastifyError;
  error.statusCode = 400;
  error.code = code;
  return error;
}

export async function buildApp(context: AppContext, modules: FeatureModule[]): Promise<FastifyInstance> {
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the assertion sets Fastify's logger type parameter, which `FastifyInstance` below expects
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Per-request access lines would double the log volume; errors and slow work are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-* are believed only from the proxies TRUST_PROXY names (off by default): request.ip keys the
    // sign-in limits, so a client must not be able to choose it.
    trustProxy: trustProxyOption(context.env.trustProxy),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
  });

  closeConnectionsAfterAnswer(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return done(badRequest('INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    // Once here for every route: what a handler sees can be stored and processed (`sanitize.ts`).
    const cleaned = cleanJsonBody(text, parsed);
    if (!cleaned.ok) return done(badRequest('BODY_TOO_DEEP', cleaned.problem), undefined);
    done(null, cleaned.value);
  });
  // Twilio signs the form parameters as it sent them: its check re-reads `rawBody`, handlers get the cleaned form.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    done(null, cleanForm(parseForm(text)));
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // A NUL in a path parameter or query value would reach PostgreSQL, which refuses it; no address here has one.
    if (request.url.includes('%00')) {
      return reply.code(400).send({ error: 'invalid_url', message: 'The address contains an encoded NUL character (%00); remove it and try again.' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) request.log.warn({ route, status: reply.statusCode }, 'Request failed');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return reply.code(413).send({ error: 'payload_too_large', message: 'The request body is larger than this endpoint accepts.' });
    }
    if (error.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: error.message });
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    if ((error as unknown) instanceof VendorError) {
      // An outside service (Zoho, Twilio, SMTP, Slack) failed while this request needed it: the caller may try again.
      const vendorError = error as unknown as VendorError;
      request.log.warn({ err: error, vendor: vendorError.vendor }, 'A vendor failed during a request');
      return reply.code(503).send({
        error: 'vendor_unavailable',
        message: `${vendorError.vendor} could not complete this just now (${maskText(vendorError.message)}). Please try again in a few minutes.`,
      });
    }
    request.log.error({ err: error }, 'Unhandled error in request');
    return reply.code(500).send({ error: 'internal_error', message: `Something went wrong on our side; it has been logged (request ${request.id}).` });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` });
  });

  await app.register(async (scope) => healthRoutes(scope, context));
  for (const module of modules) {
    if (module.routes) await app.register(async (scope) => module.routes!(scope, context));
  }
  return app;
}
