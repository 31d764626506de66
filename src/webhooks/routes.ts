/**
 * Retell's three doors per office: call events, the inbound-call webhook (caller memory) and custom functions.
 * Body limit fits a 60-minute call's transcript with word timings. Persist and answer; slow work is queued.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { errorMessage } from '../core/errors.js';
import { normalizePhone } from '../customers/phone.js';
import { defaultMemory, lookupCallerMemory } from '../customers/memory.js';
import { measureSteps, timed } from '../core/step-times.js';
import { routeFunction } from '../functions/router.js';
import { callLanguageFor } from '../customers/language.js';
import { officeLanguage } from '../i18n/language.js';
import { maskText } from '../log/mask.js';
import { RingingCallWriter } from '../calls/ringing.js';
import { authenticateRetell, rejectForeignAgent } from './guard.js';
import { CallEventIntake, isCallEvent } from './intake.js';
import { callEventSchema, describeSchemaProblem, eventNameSchema, functionRequestSchema, inboundSchema } from './schema.js';

export const RETELL_BODY_LIMIT = 8 * 1024 * 1024;

type ClientRequest = FastifyRequest<{ Params: { client: string; name?: string } }>;

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: 'invalid_request', message });
}

function requireObjectBody(request: ClientRequest, reply: FastifyReply): boolean {
  if (request.body === null || typeof request.body !== 'object' || Array.isArray(request.body)) {
    void badRequest(reply, 'The body must be a JSON object sent with Content-Type: application/json.');
    return false;
  }
  return true;
}

export async function retellRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const options = { bodyLimit: RETELL_BODY_LIMIT };
  const ringing = new RingingCallWriter({
    db: context.db,
    onRecorded: (calls) => {
      void context.bus.publishMany(calls.map((call) => ({ type: 'call.updated', clientId: call.clientId, data: { callId: call.callId, status: 'ringing' } })));
    },
    onFailed: (error, calls) => {
      context.logger.error({ err: error, calls: calls.length }, 'Could not record ringing calls; their next events will create them');
      for (const clientId of new Set(calls.map((call) => call.clientId))) {
        void context.alerts.raise({
          clientId,
          source: 'retell.inbound',
          fingerprint: 'retell.inbound:ringing_write',
          severity: 'warning',
          message: `Incoming calls could not be recorded as ringing (${maskText(errorMessage(error))}); they were answered normally and appear once Retell reports them started.`,
        });
      }
    },
  });
  const intake = new CallEventIntake(context);
  // Registered while the app is built, so they run after the server stopped taking requests.
  context.onClose.push(
    () => ringing.idle(),
    () => intake.idle(),
  );

  app.post('/v1/retell/:client/webhook', options, async (request: ClientRequest, reply) => {
    const started = performance.now();
    const client = await authenticateRetell(context, request, reply);
    if (!client) return reply;
    if (!requireObjectBody(request, reply)) return reply;
    const named = eventNameSchema.safeParse(request.body);
    if (!named.success) return badRequest(reply, describeSchemaProblem(named.error));
    const event = named.data.event;
    if (!isCallEvent(event)) {
      // A new Retell event type must not cause retries: accept it and say so in the log.
      context.logger.info({ event, client: client.config.slug }, 'Ignored an unknown Retell event type');
      context.metrics.webhookDuration.observe({ provider: 'retell', event: 'unknown' }, (performance.now() - started) / 1000);
      return reply.code(200).send({ ok: true, ignored: true });
    }
    const parsed = callEventSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, describeSchemaProblem(parsed.error));
    if (await rejectForeignAgent(client, parsed.data.call.agent_id, reply)) return reply;
    let status;
    try {
      status = await intake.accept(client, event, parsed.data.call, request.rawBody ?? '');
    } catch (error) {
      // Not stored, so not accepted: a 5xx makes Retell deliver it again.
      context.logger.error({ err: error, event }, 'Could not store a Retell event; answered 503 so Retell retries');
      return reply.code(503).send({ error: 'unavailable', message: 'The event could not be stored right now; please retry.' });
    }
    context.metrics.webhookDuration.observe({ provider: 'retell', event }, (performance.now() - started) / 1000);
    return reply.code(200).send({ ok: true, status });
  });

  app.post('/v1/retell/:client/inbound', options, async (request: ClientRequest, reply) => {
    const started = performance.now();
    const client = await authenticateRetell(context, request, reply);
    if (!client) return reply;
    if (!requireObjectBody(request, reply)) return reply;
    const parsed = inboundSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, describeSchemaProblem(parsed.error));
    const inbound = parsed.data.call_inbound;
    if (await rejectForeignAgent(client, inbound.agent_id, reply)) return reply;
    const phone = normalizePhone(inbound.from_number);
    let memory;
    try {
      memory = await lookupCallerMemory(context.db, context.clock, client, phone, inbound.agent_id);
    } catch (error) {
      // The call must ring through whatever happens here: answer with defaults and tell staff.
      memory = defaultMemory(client, context.clock, inbound.agent_id);
      context.logger.error({ err: error }, 'Caller lookup failed; answered call_inbound with defaults');
      void context.alerts.raise({
        clientId: client.config.slug,
        source: 'retell.inbound',
        fingerprint: `retell.inbound:${error instanceof Error ? error.name : 'error'}`,
        message: `Caller memory could not be loaded for an incoming call (${maskText(errorMessage(error))}); the agent greeted the caller without it.`,
        callId: inbound.call_id ?? null,
      });
    }
    if (inbound.call_id) {
      ringing.add({
        clientId: client.config.slug,
        callId: inbound.call_id,
        agentId: inbound.agent_id,
        fromNumber: phone ?? inbound.from_number,
        toNumber: normalizePhone(inbound.to_number) ?? inbound.to_number,
        at: context.clock.now(),
      });
    }
    context.metrics.webhookDuration.observe({ provider: 'retell', event: 'call_inbound' }, (performance.now() - started) / 1000);
    return reply.code(200).send({ call_inbound: { dynamic_variables: memory.dynamicVariables, metadata: memory.metadata } });
  });

  const handleFunction = async (request: ClientRequest, reply: FastifyReply) => {
    const client = await authenticateRetell(context, request, reply);
    if (!client) return reply;
    if (!requireObjectBody(request, reply)) return reply;
    const parsed = functionRequestSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, describeSchemaProblem(parsed.error));
    const name = request.params.name ?? parsed.data.name;
    if (!name) return badRequest(reply, 'Field "name" is required when the URL does not name the function.');
    const call = parsed.data.call;
    if (await rejectForeignAgent(client, call.agent_id, reply)) return reply;
    const fromNumber = normalizePhone(call.direction === 'outbound' ? call.to_number : call.from_number);
    const outcome = await measureSteps(name, call.call_id, async () => {
      const language = await timed('phase:language', () =>
        callLanguageFor(
          context.db,
          context.clock,
          client.config,
          { agentId: call.agent_id, fromNumber, transcript: call.transcript, callId: call.call_id },
          context.callLanguages,
        ),
      ).catch((error: unknown) => {
        // The answer matters more than its language: the office's default, and the log says why.
        context.logger.warn({ err: error, callId: call.call_id }, 'Caller language could not be resolved; answering in the office language');
        return { language: officeLanguage(client.config), source: 'office' as const };
      });
      return routeFunction(context, client, name, parsed.data.args, {
        callId: call.call_id,
        agentId: call.agent_id,
        fromNumber,
        toNumber: normalizePhone(call.direction === 'outbound' ? call.from_number : call.to_number),
        language: language.language,
      });
    });
    if (outcome.kind === 'unknown_function') {
      return reply.code(404).send({ error: 'unknown_function', message: `No function named "${outcome.name}" exists here.` });
    }
    return reply.code(200).send(outcome.result);
  };
  app.post('/v1/retell/:client/functions/:name', options, handleFunction);
  app.post('/v1/retell/:client/functions', options, handleFunction);
}
