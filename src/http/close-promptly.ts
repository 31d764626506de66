/**
 * Closing a server must not wait on its clients' keep-alive connections. A request still running when `close()` is
 * called is answered normally, but Node then keeps its connection open as an idle keep-alive connection that
 * `close()` has already stopped cutting, and `close()` waits until the keep-alive timeout (72 s in Fastify) ends it:
 * longer than the 10 s a SIGTERM is given before the process is ended (`cli/actions/start.ts`), so the worker and the
 * database were never closed in order when a Retell webhook was in flight. From the moment the server starts closing,
 * every answer says `Connection: close`, so each connection ends with its answer.
 */
import type { FastifyInstance } from 'fastify';

export function closeConnectionsAfterAnswer(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
