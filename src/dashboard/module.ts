/**
 * The admin dashboard: JSON API under /v1/api (cookie sessions, client scope on every route, audit of every
 * change), one WebSocket for live events, and the React app's static files with an SPA fallback.
 */
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { AppContext, FeatureModule } from '../app-context.js';
import { ensureFirstAdmin } from './first-admin.js';
import { HttpProblem, authenticate, originAllowed, requiresOriginCheck } from './http.js';
import { liveRoutes } from './live.js';
import { apiRoutes } from './routes/index.js';
import { staticRoutes } from './static.js';
import { inviteEmailHandler } from './users/invite-email.js';
import { USER_INVITE_EMAIL_KIND } from './users/invites.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (sign-in, sign-out). */
    public?: boolean;
  }
}

async function dashboardRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The demo runs on plain http://localhost; an upgrade directive would break it, and HSTS is the proxy's job.
    strictTransportSecurity: false,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, limit) =>
      new HttpProblem(429, 'too_many_attempts', `Too many sign-in requests from this address. Wait ${Math.ceil(limit.ttl / 1000)} seconds and try again.`),
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/api/')) return;
    // SameSite=Strict already keeps the cookie off cross-site requests; the Origin check is the second lock.
    // A WebSocket upgrade carries the cookie too: a page on another site must not open our live feed.
    const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
    if ((requiresOriginCheck(request) || upgrade) && !originAllowed(context, request)) {
      throw new HttpProblem(403, 'bad_origin', 'This request did not come from the dashboard page. Reload the dashboard and try again.');
    }
    request.dashboardUser = await authenticate(context, request);
    if (!request.dashboardUser && !request.routeOptions.config.public) {
      throw new HttpProblem(401, 'unauthorized', 'Your session has ended. Please sign in again.');
    }
  });

  await liveRoutes(app, context);
  await apiRoutes(app, context);
  await staticRoutes(app, context);
}

export const dashboardModule: FeatureModule = {
  name: 'dashboard',
  async setUp(context) {
    await ensureFirstAdmin(context);
    context.handlers.set(USER_INVITE_EMAIL_KIND, inviteEmailHandler(context));
    context.signedInUser = (request) => authenticate(context, request);
  },
  routes: dashboardRoutes,
};
