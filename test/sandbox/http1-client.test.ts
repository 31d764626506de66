import net from 'node:net';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool } from '../../src/sandbox/http1-client.js';

/** A raw TCP server that answers each request with whatever `answer` writes (HTTP framing done by hand). */
async function rawServer(answer: (socket: net.Socket, request: string, index: number) => void) {
  const sockets = new Set<net.Socket>();
  let index = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        answer(socket, request, index++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function poolFor(port: number, maxSockets = 4) {
  const pool = new Http1Pool({ host: '127.0.0.1', port, maxSockets });
  closers.push(() => pool.close());
  return pool;
}

/** Our wrapper's contract over undici's Pool: the answer's shape, error codes, queueing and keep-alive. */
describe('Http1Pool', () => {
  it('sends one request per exchange and reuses the connection (node:http server)', async () => {
    const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string; socket: number }> = [];
    const sockets: net.Socket[] = [];
    const server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (!sockets.includes(request.socket)) sockets.push(request.socket);
        seen.push({ method: request.method, url: request.url, headers: request.headers, body, socket: sockets.indexOf(request.socket) });
        response.setHeader('content-type', 'application/json');
        response.setHeader('set-cookie', ['a=1', 'b=2']);
        response.end(JSON.stringify({ ok: true, body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    closers.push(() => server.closeAllConnections());
    const pool = poolFor((server.address() as net.AddressInfo).port);

    const first = await pool.request({
      method: 'POST',
      path: '/a?x=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'sig' },
      body: 'To=%2B1&Body=h%C3%A9',
      timeoutMs: 5_000,
    });
    const second = await pool.request({ method: 'GET', path: '/b', timeoutMs: 5_000 });

    expect(first.status).toBe(200);
    expect(JSON.parse(first.body.toString())).toEqual({ ok: true, body: 'To=%2B1&Body=h%C3%A9' });
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['set-cookie']).toBe('a=1, b=2');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/a?x=1', body: 'To=%2B1&Body=h%C3%A9' });
    expect(seen[0]?.headers).toMatchObject({ 'x-twilio-signature': 'sig', 'content-length': '20', host: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/b', body: '' });
    expect(JSON.parse(second.body.toString())).toEqual({ ok: true, body: '' });
    // Kept alive: more exchanges one after another do not open a connection each.
    for (let i = 0; i < 8; i++) await pool.request({ method: 'GET', path: `/c${i}`, timeoutMs: 5_000 });
    expect(sockets.length).toBeLessThanOrEqual(2);
  });

  it('answers split in the middle of the head and the body are put together', async () => {
    const server = await rawServer((socket) => {
      const answer = 'HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n{"sid":"x"}';
      let at = 0;
      const timer = setInterval(() => {
        socket.write(answer.slice(at, at + 7));
        at += 7;
        if (at >= answer.length) clearInterval(timer);
      }, 2);
    });
    closers.push(server.close);
    const response = await poolFor(server.port).request({ method: 'POST', path: '/', body: '', timeoutMs: 5_000 });
    expect([response.status, response.body.toString()]).toEqual([201, '{"sid":"x"}']);
  });

  it('fails with ETIMEDOUT when no answer comes, ECONNRESET when the server hangs up, ECONNREFUSED when nobody listens', async () => {
    const server = await rawServer((socket, _request, index) => {
      if (index === 1) socket.destroy();
      // index 0: never answers
    });
    closers.push(server.close);
    const pool = poolFor(server.port);
    await expect(pool.request({ method: 'POST', path: '/slow', body: 'a', timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(pool.request({ method: 'POST', path: '/reset', body: 'a', timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'ECONNRESET' });

    const unused = await rawServer(() => undefined);
    await unused.close();
    await expect(poolFor(unused.port).request({ method: 'GET', path: '/', timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('queues requests beyond maxSockets and serves them as connections free up', async () => {
    const server = await rawServer((socket, request) => {
      const id = /\/(\d+)/.exec(request)?.[1] ?? '?';
      setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${id.length}\r\n\r\n${id}`), 5);
    });
    closers.push(server.close);
    const pool = poolFor(server.port, 2);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => pool.request({ method: 'GET', path: `/${n}`, timeoutMs: 5_000 })));
    expect(answers.map((answer) => answer.body.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('opens a new connection when the server closed an idle one, and honours Connection: close', async () => {
    const server = await rawServer((socket, _request, index) => {
      if (index === 0) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\na');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb');
    });
    closers.push(server.close);
    const pool = poolFor(server.port);
    expect((await pool.request({ method: 'GET', path: '/', timeoutMs: 5_000 })).body.toString()).toBe('a');
    expect((await pool.request({ method: 'GET', path: '/', timeoutMs: 5_000 })).body.toString()).toBe('b');
  });

  it('refuses header values and paths that would split the request', async () => {
    const pool = poolFor(9);
    await expect(pool.request({ method: 'GET', path: '/', headers: { 'x-a': 'b\r\nx-injected: 1' }, timeoutMs: 1_000 })).rejects.toThrow(/header/);
    await expect(pool.request({ method: 'GET', path: '/a b', timeoutMs: 1_000 })).rejects.toThrow(/path/);
  });
});
