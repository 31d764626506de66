/**
 * The onboarding wizard's HTTP API (admins): start, answer each step (re-runnable, resumable), the calendar
 * picker, the go-live check, the Retell tool definitions for people who configure Retell by hand, and removal
 * of an onboarded office with what it created here. The steps themselves live in src/onboarding/.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { calendarPortOf } from '../../booking/deps.js';
import { retellSetupFor } from '../../functions/tool-schemas.js';
import { goLiveCheck } from '../../onboarding/golive.js';
import { removeOnboardedOffice } from '../../onboarding/remove.js';
import { StepProblem, runStep } from '../../onboarding/steps.js';
import { createOnboarding, loadOnboarding, STEP_NAMES, type Onboarding, type StepName } from '../../onboarding/store.js';
import type { DashboardUser } from '../auth/users.js';
import { HttpProblem, currentUser, notFound, ownUrl, parseInput } from '../http.js';

const idParam = z.object({ id: z.string().regex(/^onb_[a-z0-9]{1,40}$/, 'must be an onboarding id') });
const stepParam = idParam.extend({
  step: z.enum(STEP_NAMES.filter((step) => step !== 'golive') as [Exclude<StepName, 'golive'>, ...Exclude<StepName, 'golive'>[]]),
});

function requireAdmin(user: DashboardUser): void {
  if (user.role !== 'admin') throw new HttpProblem(403, 'forbidden', 'Only an admin can onboard an office.');
}

function view(onboarding: Onboarding) {
  return {
    id: onboarding.id,
    slug: onboarding.clientId,
    answers: onboarding.answers,
    results: onboarding.results,
    steps: STEP_NAMES.map((step) => ({ step, done: onboarding.results[step]?.ok === true, tried: onboarding.results[step] !== undefined })),
    finishedAt: onboarding.finishedAt,
  };
}

async function sendProblems(reply: FastifyReply, error: unknown) {
  if (!(error instanceof StepProblem)) throw error;
  return reply.code(400).send({ error: 'invalid_answers', message: error.message, problems: error.problems });
}

export function wizardRoutes(app: FastifyInstance, context: AppContext): void {
  const open = async (user: DashboardUser, id: string): Promise<Onboarding> => {
    requireAdmin(user);
    const onboarding = await loadOnboarding(context.db, id);
    if (!onboarding || onboarding.removedAt) throw notFound('That onboarding');
    return onboarding;
  };

  app.post('/v1/api/onboarding', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const onboarding = await createOnboarding(context.db, context.clock, user.email);
    const basics = (request.body as { basics?: unknown } | undefined)?.basics;
    if (basics !== undefined) {
      try {
        await runStep({ context, actor: user.email }, onboarding, 'basics', basics);
      } catch (error) {
        return sendProblems(reply, error);
      }
    }
    return reply.code(201).send(view(onboarding));
  });

  app.get('/v1/api/onboarding', async (request) => {
    const user = currentUser(request);
    requireAdmin(user);
    const rows = await context.db
      .selectFrom('onboardings')
      .select(['id', 'client_id', 'created_by', 'created_at', 'finished_at'])
      .where('removed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(100)
      .execute();
    return {
      onboardings: rows.map((row) => ({ id: row.id, slug: row.client_id, createdBy: row.created_by, createdAt: row.created_at, finishedAt: row.finished_at })),
    };
  });

  app.get('/v1/api/onboarding/:id', async (request) => {
    const { id } = parseInput(idParam, request.params);
    return view(await open(currentUser(request), id));
  });

  app.put('/v1/api/onboarding/:id/steps/:step', async (request, reply) => {
    const user = currentUser(request);
    const { id, step } = parseInput(stepParam, request.params);
    const onboarding = await open(user, id);
    try {
      const result = await runStep({ context, actor: user.email }, onboarding, step, request.body);
      return { ...view(onboarding), result };
    } catch (error) {
      return sendProblems(reply, error);
    }
  });

  app.get('/v1/api/onboarding/:id/calendars', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const onboarding = await open(currentUser(request), id);
    if (!onboarding.clientId || !context.clients.get(onboarding.clientId))
      throw new HttpProblem(409, 'no_office', 'Finish the basics and template pack steps first.');
    return { calendars: await calendarPortOf(context).listCalendars(onboarding.clientId) };
  });

  app.post('/v1/api/onboarding/:id/golive', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const onboarding = await open(currentUser(request), id);
    return goLiveCheck({ context, actor: onboarding.createdBy, selfUrl: ownUrl(request) }, onboarding);
  });

  app.delete('/v1/api/onboarding/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(idParam, request.params);
    const onboarding = await open(user, id);
    return removeOnboardedOffice({ context, actor: user.email }, onboarding);
  });

  app.get('/v1/api/offices/:slug/retell-tools', async (request) => {
    const user = currentUser(request);
    const { slug } = parseInput(z.object({ slug: z.string() }), request.params);
    const runtime = context.clients.get(slug);
    if (!runtime || !user.clientIds.includes(slug)) throw notFound('That office');
    return retellSetupFor(context.publicBaseUrl, runtime.config);
  });
}
