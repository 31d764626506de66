/**
 * One WebSocket per open dashboard: forwards live events from the bus (which hears every instance through
 * LISTEN/NOTIFY) to the browsers allowed to see them. Events carry ids only; the page fetches details through
 * the API, where the client scope is checked again.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import type { BusEvent } from '../events/bus.js';
import { originAllowed } from './http.js';
import { userChange } from './users/events.js';

const PING_EVERY_MS = 25_000;
/** A browser that cannot keep up is dropped (it reconnects and refetches) instead of growing our memory. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export function mayReceive(clientIds: string[], event: BusEvent): boolean {
  return typeof event.clientId === 'string' && clientIds.includes(event.clientId);
}

export async function liveRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/v1/api/live', { websocket: true }, (socket, request) => {
    const user = request.dashboardUser;
    // Cross-site WebSocket hijacking: a page elsewhere could open this socket with the user's cookie.
    if (!user || !request.headers.origin || !originAllowed(context, request)) {
      socket.close(4401, user ? 'bad origin' : 'sign in first');
      return;
    }
    const unsubscribe = context.bus.subscribe((event) => {
      const changed = userChange(event);
      if (changed?.userId === user.id) {
        // The feed was opened with the old role and offices (or a session that has just ended): the browser
        // reconnects, and gets the new scope, or 401 and the sign-in page.
        socket.close(changed.sessionsEnded ? 4401 : 4000, changed.sessionsEnded ? 'signed out' : 'access changed');
        return;
      }
      if (!mayReceive(user.clientIds, event)) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        socket.terminate();
        return;
      }
      socket.send(JSON.stringify(event));
    });
    const ping = setInterval(() => socket.ping(), PING_EVERY_MS);
    ping.unref();
    socket.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
    socket.on('message', () => {
      // The socket is one-way; anything the browser sends is ignored.
    });
    socket.send(JSON.stringify({ type: 'hello', data: { clients: user.clientIds } }));
  });
}
