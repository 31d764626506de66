/**
 * Demo mode only: plays a simulated Retell call against this very server (signed exactly as Retell signs),
 * so the Live screen shows a call arriving, progressing and ending. Answers at once; the call plays on.
 */
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { SCENARIOS, simulateCall, simulatedOfficeOf } from '../../sandbox/call-simulator.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, currentUser, ownUrl, parseInput, requireClient } from '../http.js';

const body = z.object({
  client: z.string().min(1),
  scenario: z.enum(SCENARIOS).default('new-caller-books'),
  from: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'must be a phone number like +12125550142')
    .optional(),
});

/** Between webhook steps, so people watching see the call progress. */
const STEP_DELAY_MS = 400;

export function simulateRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/v1/api/simulate', async (request, reply) => {
    const user = currentUser(request);
    if (context.env.mode !== 'demo') throw new HttpProblem(404, 'not_found', 'Simulated calls exist only in demo mode.');
    const input = parseInput(body, { ...(request.body as object), scenario: (request.body as { scenario?: string })?.scenario?.replace(/_/g, '-') });
    const clientId = requireClient(user, input.client);
    const baseUrl = ownUrl(request);
    if (!baseUrl) throw new HttpProblem(409, 'not_listening', 'The server is not listening on a port.');
    const from = input.from ?? `+1212555${String(randomInt(0, 10_000)).padStart(4, '0')}`;
    const { config, secrets } = context.clients.get(clientId)!;
    await writeAudit(context.db, context.clock, { actor: user.email, clientId, action: 'demo.simulate_call', after: { scenario: input.scenario } });
    void simulateCall({
      baseUrl,
      client: clientId,
      from,
      scenario: input.scenario,
      // Signed with the key this server checks (the office's Retell key when set, else the demo key).
      apiKey: secrets.retellApiKey,
      office: simulatedOfficeOf(config),
      delayMs: STEP_DELAY_MS,
      startAt: context.clock.now(),
    })
      .then((result) => {
        if (result.problems.length) context.logger.warn({ callId: result.callId, problems: result.problems }, 'The simulated call met problems');
      })
      .catch((error: unknown) => context.logger.warn({ err: error }, 'The simulated call failed'));
    return reply.code(202).send({ ok: true, message: 'A simulated call is ringing; watch it on the Live screen.' });
  });
}
