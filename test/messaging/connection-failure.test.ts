/**
 * The HTTP messaging providers (SendGrid, Telnyx) read a failure below HTTP the same way (providers/connection-failure.ts):
 * no connection at all is `never_accepted`, so the chain may fail over; a connection dropped after the request was
 * sent is a lost answer, never sent again blindly. Real sockets on loopback, no emulator.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VendorError } from '../../src/core/errors.js';
import type { EmailPort, SmsPort } from '../../src/messaging/ports.js';
import { createSendgridMail } from '../../src/providers/sendgrid/mail.js';
import { createTelnyxSms } from '../../src/providers/telnyx/sms.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(onRequest: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onRequest(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A loopback port nothing listens on (its server was closed again): connecting is refused. */
async function closedPort(): Promise<number> {
  const port = await listen(() => undefined);
  const server = servers.pop()!;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads the request, then drops the connection without an answer. */
const dropAfterRequest = (socket: Socket) => socket.once('data', () => socket.destroy());

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

const providers: Array<{ name: string; send(port: number): Promise<unknown> }> = [
  {
    name: 'SendGrid',
    send: (port) => {
      const mail: EmailPort = createSendgridMail({ apiKey: 'SG.test', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
      return mail.send({ from: 'office@example.com', to: 'someone@example.com', subject: 'Your appointment', text: 'See you soon.' });
    },
  },
  {
    name: 'Telnyx',
    send: (port) => {
      const sms: SmsPort = createTelnyxSms({ apiKey: 'KEY_test', baseURL: `http://127.0.0.1:${port}/v2`, timeoutMs: 5_000 });
      return sms.send({ to: '+12125550123', from: '+15125550177', body: 'See you soon.' });
    },
  },
];

describe.each(providers)('$name without an answer', (provider) => {
  it('a refused connection never reached it: never accepted, retryable, so the next provider may send it', async () => {
    const attempt = provider.send(await closedPort());
    await expect(attempt).rejects.toBeInstanceOf(VendorError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      failure: 'never_accepted',
      ambiguous: false,
      retryable: true,
      message: `Could not reach ${provider.name} (ECONNREFUSED).`,
    });
  });

  it('a connection dropped after the request was sent is a lost answer: it may have the message', async () => {
    const attempt = provider.send(await listen(dropAfterRequest));
    await expect(attempt).rejects.toBeInstanceOf(VendorError);
    await expect(attempt).rejects.toMatchObject({
      failure: 'accepted_unknown',
      ambiguous: true,
      retryable: true,
      message: expect.stringContaining(`${provider.name}'s answer was lost`),
    });
  });
});
