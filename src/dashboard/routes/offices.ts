/**
 * Offices as data in the dashboard: the list (served and broken), one office's document and version history,
 * saving a new version (validated; every problem returned as `path: reason` for field-level marks), rollback,
 * write-only credentials, and removal. Admins change everything; staff of an office may change its templates
 * and hours, never its credentials, senders or anything else.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { SECRET_KEYS, SECRET_VENDOR, isSecretKey } from '../../config/secrets.js';
import { storedSecretNames, setOfficeSecret } from '../../offices/secrets.js';
import {
  getOfficeVersion,
  listOfficeVersions,
  loadOfficeDocuments,
  removeOffice,
  rollbackOffice,
  saveOfficeVersion,
  type SaveOfficeResult,
} from '../../offices/store.js';
import type { DashboardUser } from '../auth/users.js';
import { HttpProblem, currentUser, notFound, parseInput } from '../http.js';

/** What staff of an office may change: what callers read and when the office is open. */
// `translations` are the same templates (and type words) in other languages.
const STAFF_EDITABLE = ['templates', 'translations', 'businessHours', 'closures', 'specialHours'] as const;

const slugParam = z.object({ slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be an office slug') });
const saveBody = z.object({
  document: z.record(z.string(), z.unknown()),
  /** The version the editor started from; a save over someone else's newer version answers 409. */
  expectedVersion: z.int().min(0).optional(),
});
const rollbackBody = z.object({ version: z.int().min(1) });
const secretBody = z.object({ value: z.string().trim().min(1, 'must not be empty').max(4096) });

function requireAdmin(user: DashboardUser): void {
  if (user.role !== 'admin') throw new HttpProblem(403, 'forbidden', 'Only an admin can do this.');
}

/** Admins see every office, served or broken; staff see the served offices they belong to. */
function mayOpen(context: AppContext, user: DashboardUser, slug: string): boolean {
  if (user.role === 'admin') return context.clients.get(slug) !== undefined || context.clients.broken().some((office) => office.slug === slug);
  return user.clientIds.includes(slug);
}

function answerSave(result: SaveOfficeResult) {
  if (result.ok) return { ok: true, slug: result.slug, version: result.version, created: result.created, unchanged: result.unchanged, changes: result.changes };
  if (result.reason === 'conflict') {
    throw new HttpProblem(
      409,
      'version_conflict',
      `Someone saved version ${result.currentVersion} of this office meanwhile; reload and apply your change again.`,
    );
  }
  const lines = result.problems.map((problem) => (problem.path ? `${problem.path}: ${problem.message}` : problem.message));
  return {
    invalid: true as const,
    body: {
      error: 'invalid_office',
      message: `The office was not saved (${lines.length} problem${lines.length === 1 ? '' : 's'}): ${lines.join('; ')}`,
      problems: result.problems.map(({ path, message }) => ({ path, message })),
    },
  };
}

export function officeRoutes(app: FastifyInstance, context: AppContext): void {
  const deps = () => ({ db: context.db, clock: context.clock, bus: context.bus });
  const reload = async (slug: string) => context.offices?.reload(slug);

  app.get('/v1/api/offices', async (request) => {
    const user = currentUser(request);
    const served = context.clients.all().filter(({ config }) => user.clientIds.includes(config.slug) || user.role === 'admin');
    const broken = user.role === 'admin' ? context.clients.broken() : context.clients.broken().filter((office) => user.clientIds.includes(office.slug));
    return {
      offices: served.map(({ config, version }) => ({
        slug: config.slug,
        name: config.name,
        timezone: config.timezone,
        version: version ?? null,
        status: broken.some((office) => office.slug === config.slug) ? 'broken' : 'ok',
      })),
      broken: broken.map((office) => ({ slug: office.slug, problems: office.problems.map(({ path, message }) => ({ path, message })) })),
      secretNames: SECRET_KEYS,
      staffEditable: STAFF_EDITABLE,
    };
  });

  app.get('/v1/api/offices/:slug', async (request) => {
    const user = currentUser(request);
    const { slug } = parseInput(slugParam, request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    const [stored] = await loadOfficeDocuments(context.db, slug);
    if (!stored) throw notFound('That office');
    const stores = await storedSecretNames(context.db, slug);
    const runtime = context.clients.get(slug);
    return {
      slug,
      version: stored.version,
      document: stored.document,
      served: runtime?.version ?? null,
      problems:
        context.clients
          .broken()
          .find((office) => office.slug === slug)
          ?.problems.map(({ path, message }) => ({ path, message })) ?? [],
      // Which credentials are set and where from; never a value.
      secrets: SECRET_KEYS.map((name) => {
        const stored = stores.find((entry) => entry.name === name);
        return {
          name,
          stored: Boolean(stored),
          updatedBy: stored?.updatedBy ?? null,
          updatedAt: stored?.updatedAt ?? null,
          emulated: runtime ? runtime.secrets.emulatedVendors.includes(SECRET_VENDOR[name]) : null,
        };
      }),
      staffEditable: STAFF_EDITABLE,
    };
  });

  app.post('/v1/api/offices', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const input = parseInput(saveBody, request.body);
    const slug = typeof input.document.slug === 'string' ? input.document.slug : '';
    if (slug && (context.clients.get(slug) || (await loadOfficeDocuments(context.db, slug)).length > 0)) {
      throw new HttpProblem(409, 'office_exists', `An office "${slug}" exists already; edit it instead.`);
    }
    const answer = answerSave(await saveOfficeVersion(deps(), { document: input.document, author: user.email, source: 'dashboard', expectedVersion: 0 }));
    if ('invalid' in answer) return reply.code(400).send(answer.body);
    await reload(answer.slug);
    return reply.code(201).send(answer);
  });

  app.put('/v1/api/offices/:slug', async (request, reply) => {
    const user = currentUser(request);
    const { slug } = parseInput(slugParam, request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    const input = parseInput(saveBody, request.body);
    if (input.document.slug !== slug) throw new HttpProblem(400, 'invalid_request', `document.slug must be "${slug}"; an office's slug cannot change.`);
    if (user.role !== 'admin') {
      const [stored] = await loadOfficeDocuments(context.db, slug);
      if (!stored) throw notFound('That office');
      const outside = Object.keys({ ...stored.document, ...input.document }).filter(
        (key) => !(STAFF_EDITABLE as readonly string[]).includes(key) && JSON.stringify(stored.document[key]) !== JSON.stringify(input.document[key]),
      );
      if (outside.length > 0)
        throw new HttpProblem(403, 'forbidden', `Staff may change templates and hours only; ask an admin to change ${outside.join(', ')}.`);
    }
    const answer = answerSave(
      await saveOfficeVersion(deps(), { document: input.document, author: user.email, source: 'dashboard', expectedVersion: input.expectedVersion }),
    );
    if ('invalid' in answer) return reply.code(400).send(answer.body);
    await reload(slug);
    return answer;
  });

  app.get('/v1/api/offices/:slug/versions', async (request) => {
    const user = currentUser(request);
    const { slug } = parseInput(slugParam, request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    return { versions: await listOfficeVersions(context.db, slug) };
  });

  app.get('/v1/api/offices/:slug/versions/:version', async (request) => {
    const user = currentUser(request);
    const { slug, version } = parseInput(slugParam.extend({ version: z.coerce.number().int().min(1) }), request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    const document = await getOfficeVersion(context.db, slug, version);
    if (!document) throw notFound('That version');
    return { slug, version, document };
  });

  app.post('/v1/api/offices/:slug/rollback', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const { slug } = parseInput(slugParam, request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    const { version } = parseInput(rollbackBody, request.body);
    const result = await rollbackOffice(deps(), slug, version, user.email);
    if (!result.ok && result.reason === 'not_found') throw notFound('That version');
    const answer = answerSave(result);
    if ('invalid' in answer) return reply.code(400).send(answer.body);
    await reload(slug);
    return answer;
  });

  app.put('/v1/api/offices/:slug/secrets/:name', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const { slug, name } = parseInput(slugParam.extend({ name: z.string() }), request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    if (!isSecretKey(name)) throw new HttpProblem(400, 'invalid_request', `name must be one of ${SECRET_KEYS.join(', ')}.`);
    const { value } = parseInput(secretBody, request.body);
    await setOfficeSecret({ ...deps(), secretBox: context.secretBox }, slug, name, value, user.email);
    await reload(slug);
    return reply.code(204).send();
  });

  app.delete('/v1/api/offices/:slug/secrets/:name', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const { slug, name } = parseInput(slugParam.extend({ name: z.string() }), request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    if (!isSecretKey(name)) throw new HttpProblem(400, 'invalid_request', `name must be one of ${SECRET_KEYS.join(', ')}.`);
    await setOfficeSecret({ ...deps(), secretBox: context.secretBox }, slug, name, null, user.email);
    await reload(slug);
    return reply.code(204).send();
  });

  app.delete('/v1/api/offices/:slug', async (request, reply) => {
    const user = currentUser(request);
    requireAdmin(user);
    const { slug } = parseInput(slugParam, request.params);
    if (!mayOpen(context, user, slug)) throw notFound('That office');
    if (!(await removeOffice(deps(), slug, user.email))) throw notFound('That office');
    await reload(slug);
    return reply.code(204).send();
  });
}
