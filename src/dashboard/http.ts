/**
 * Request plumbing every dashboard route shares: the signed-in user, the client scope check (a client a
 * user may not see answers 404, exactly like one that does not exist, so staff cannot probe for other
 * offices), input parsing with zod into 400s, and the Origin check that makes cookie auth CSRF-safe.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { SESSION_COOKIE, resumeSession } from './auth/sessions.js';
import { loadUser, type DashboardUser } from './auth/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    dashboardUser?: DashboardUser;
  }
}

export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what = 'That item') => new HttpProblem(404, 'not_found', `${what} was not found, or you do not have access to it.`);

export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new HttpProblem(400, 'invalid_request', `${where}${issue?.message ?? 'invalid input'}`);
}

export function currentUser(request: FastifyRequest): DashboardUser {
  if (!request.dashboardUser) throw new HttpProblem(401, 'unauthorized', 'Please sign in.');
  return request.dashboardUser;
}

/** Throws 404 unless the user may see `clientId`. */
export function requireClient(user: DashboardUser, clientId: string | null | undefined): string {
  if (!clientId || !user.clientIds.includes(clientId)) throw notFound();
  return clientId;
}

/** The clients a list shows: the one asked for (when allowed) or every client in scope. */
export function clientFilter(user: DashboardUser, requested: string | undefined): string[] {
  if (requested) return [requireClient(user, requested)];
  return user.clientIds;
}

/**
 * For tables where a row may belong to no client (the error log, the audit log): the clients a list shows, as
 * `clientFilter`, and whether rows of no client are included — for admins only, and only when no one client
 * is asked for. `clientIds` is never empty (an empty `in ()` is not valid SQL).
 */
export function clientScope(user: DashboardUser, requested: string | undefined): { clientIds: string[]; unowned: boolean } {
  const clientIds = clientFilter(user, requested);
  return { clientIds: clientIds.length ? clientIds : [''], unowned: !requested && user.role === 'admin' };
}

/** Whether the user may see a row of `clientId`; a row of no client is for admins only. */
export function maySee(user: DashboardUser, clientId: string | null): boolean {
  return clientId === null ? user.role === 'admin' : user.clientIds.includes(clientId);
}

/** The session cookie; read from the header too, for routes outside the dashboard (the Zoho connect guard). */
export function sessionToken(request: FastifyRequest): string | undefined {
  let token = request.cookies?.[SESSION_COOKIE];
  if (token === undefined) {
    const header = request.headers.cookie ?? '';
    const pair = header
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${SESSION_COOKIE}=`));
    token = pair?.slice(SESSION_COOKIE.length + 1);
  }
  return token && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? token : undefined;
}

export async function authenticate(context: AppContext, request: FastifyRequest): Promise<DashboardUser | undefined> {
  const token = sessionToken(request);
  if (!token) return undefined;
  const userId = await resumeSession(context.db, context.clock, token);
  if (userId === undefined) return undefined;
  return loadUser(context.db, userId, context.clients.slugs());
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The origins this server is reached at: the request's own host, and the configured public URL. */
function allowedOrigins(context: AppContext, request: FastifyRequest): string[] {
  const origins = [`${request.protocol}://${request.host}`];
  try {
    origins.push(new URL(context.publicBaseUrl).origin);
  } catch {
    // publicBaseUrl is validated at start-up; nothing to add when it is somehow unreadable.
  }
  return origins;
}

export function originAllowed(context: AppContext, request: FastifyRequest): boolean {
  let origin = request.headers.origin;
  if (!origin) {
    const referer = request.headers.referer;
    if (!referer) return false;
    try {
      origin = new URL(referer).origin;
    } catch {
      return false;
    }
  }
  return allowedOrigins(context, request).includes(origin);
}

export function requiresOriginCheck(request: FastifyRequest): boolean {
  return STATE_CHANGING.has(request.method);
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem): FastifyReply {
  return reply.code(problem.statusCode).send({ error: problem.code, message: problem.message });
}

/** This server's own loopback URL (for requests it sends itself, e.g. a simulated call); undefined when not listening. */
export function ownUrl(request: FastifyRequest): string | undefined {
  const address = request.server.server.address();
  if (!address || typeof address !== 'object') return undefined;
  const host =
    address.family === 'IPv6' ? `[${address.address === '::' ? '::1' : address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return `http://${host}:${address.port}`;
}

/** `:id` of a row with a numeric id (messages, customers, errors, callbacks, appointments, outbox items). */
export const numericIdParam = z.object({ id: z.coerce.number().int().positive() });
