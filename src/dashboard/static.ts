/**
 * Serves the built React app (web/dist) with an SPA fallback: any GET that is not an API route or a file
 * gets index.html, so a reload on /calls/abc opens that page.
 */
import fastifyStatic from '@fastify/static';
import { existsSync, statSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';

export const WEB_DIST = resolve('web', 'dist');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Switchboard</title>
<p>The dashboard has not been built yet. Run <code>npm run build:web</code> and reload this page. The API is running.</p>`;

export async function staticRoutes(app: FastifyInstance, _context: AppContext, root = WEB_DIST): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', { config: { public: true } }, async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return reply.code(400).send({ error: 'bad_request', message: 'The address is not valid.' });
    }
    if (path.startsWith('/v1/')) {
      return reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${path}.` });
    }
    if (!existsSync(join(root, 'index.html'))) return reply.type('text/html').send(NOT_BUILT);
    const relative = normalize(path).replace(/^([/\\])+/, '');
    const file = join(root, relative);
    if (relative && !relative.startsWith('..') && file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      // Vite puts a content hash in every asset name, so assets can be cached for good.
      const immutable = relative.startsWith('assets/');
      return reply.sendFile(relative, { maxAge: immutable ? 31_536_000_000 : 0, immutable, cacheControl: true });
    }
    if (/\.[a-z0-9]+$/i.test(relative)) {
      return reply.code(404).send({ error: 'not_found', message: `No file ${path}.` });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { maxAge: 0, cacheControl: false });
  });
}
