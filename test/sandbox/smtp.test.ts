import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpReceiver, type SmtpReceiver, type SmtpReceiverOptions } from '../../src/sandbox/smtp.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function aReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const receiver = await startSmtpReceiver(options);
  cleanups.push(() => receiver.close());
  return receiver;
}

function aPooledTransport(receiver: SmtpReceiver, extra: Record<string, unknown> = {}) {
  const transport = nodemailer.createTransport({ ...receiver.transportOptions, pool: true, maxConnections: 1, ...extra });
  cleanups.push(() => transport.close());
  return transport;
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: Array<{ responseCode?: number }>;
}

async function failureOf(promise: Promise<unknown>): Promise<SmtpFailure> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error as SmtpFailure,
  );
  expect(outcome, 'expected the send to fail').toBeDefined();
  return outcome ?? {};
}

describe('SMTP receiver', () => {
  it('receives and parses a message from a pooled nodemailer transport, unsubscribe headers included', async () => {
    const receiver = await aReceiver();
    expect(receiver.url).toBe(`smtp://127.0.0.1:${receiver.port}`);
    const transport = aPooledTransport(receiver);

    const info = await transport.sendMail({
      from: 'Smart Tax Nation <office@smarttaxnation.example>',
      to: 'Ana Lopez <ana@example.com>',
      bcc: 'audit@example.com',
      subject: 'File with us again this season',
      text: 'Hi Ana, book your appointment.',
      html: '<p>Hi Ana, book your appointment.</p>',
      list: { unsubscribe: [{ url: 'https://switchboard.example/u/TOKEN', comment: 'Unsubscribe' }, 'mailto:u@smarttaxnation.example'] },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    expect(info.accepted).toEqual(['ana@example.com', 'audit@example.com']);
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);

    const message = await receiver.waitForMessage((received) => received.subject.startsWith('File with us'));
    expect(message).toMatchObject({
      from: 'office@smarttaxnation.example',
      to: ['ana@example.com', 'audit@example.com'],
      headerTo: ['ana@example.com'],
      text: 'Hi Ana, book your appointment.',
      html: '<p>Hi Ana, book your appointment.</p>',
      messageId: info.messageId,
      listUnsubscribePost: 'List-Unsubscribe=One-Click',
    });
    // nodemailer keeps the comment (RFC 2369 allows it): `<url> (Unsubscribe), <mailto:…>`.
    expect(message.listUnsubscribe).toBe('<https://switchboard.example/u/TOKEN> (Unsubscribe), <mailto:u@smarttaxnation.example>');
    expect(message.headers['list-unsubscribe']).toBe(message.listUnsubscribe);
    expect(message.headers.bcc).toBeUndefined();
    expect(message.raw).toContain('Subject: File with us again this season');
    expect(receiver.messagesTo('AUDIT@example.com')).toHaveLength(1);
  });

  it('waits for a message that has not arrived yet', async () => {
    const receiver = await aReceiver();
    const transport = aPooledTransport(receiver);
    const arrival = receiver.waitForMessage((message) => message.to.includes('late@example.com'), 5_000);
    await transport.sendMail({ from: 'office@example.com', to: 'late@example.com', subject: 'Later', text: 'x' });
    await expect(arrival).resolves.toMatchObject({ subject: 'Later' });
  });

  it('refuses a rejected recipient permanently with 550', async () => {
    const receiver = await aReceiver({ rejectRecipients: ['gone@example.com'] });
    const transport = aPooledTransport(receiver);

    const error = await failureOf(transport.sendMail({ from: 'office@example.com', to: 'gone@example.com', subject: 's', text: 't' }));
    expect(error.code).toBe('EENVELOPE');
    expect(error.responseCode).toBe(550);
    expect(error.response).toContain('User unknown');

    receiver.rejectRecipient('nobody@example.com', 553, '5.1.3 Bad recipient address syntax');
    const partial = await transport.sendMail({ from: 'office@example.com', to: ['nobody@example.com', 'ok@example.com'], subject: 's', text: 't' });
    expect(partial.accepted).toEqual(['ok@example.com']);
    expect(partial.rejected).toEqual(['nobody@example.com']);
    expect(receiver.messages.map((message) => message.to)).toEqual([['ok@example.com']]);
    expect(receiver.refusals.map((refusal) => [refusal.address, refusal.code])).toEqual([
      ['gone@example.com', 550],
      ['nobody@example.com', 553],
    ]);
  });

  it('defers a recipient with 451 and accepts it on the retry', async () => {
    const receiver = await aReceiver();
    receiver.deferRecipient('busy@example.com', 1);
    const transport = aPooledTransport(receiver);
    const mail = { from: 'office@example.com', to: 'busy@example.com', subject: 'Reminder', text: 'Tomorrow at 10' };

    const error = await failureOf(transport.sendMail(mail));
    expect(error.responseCode).toBe(451);
    expect(error.rejectedErrors?.[0]?.responseCode).toBe(451);
    expect(receiver.messages).toHaveLength(0);

    await transport.sendMail(mail);
    expect(receiver.messagesTo('busy@example.com')).toHaveLength(1);
  });

  it('refuses the next DATA with 421 and accepts the one after', async () => {
    const receiver = await aReceiver();
    receiver.deferNextData(1);
    const transport = aPooledTransport(receiver);
    const mail = { from: 'office@example.com', to: 'ana@example.com', subject: 'Confirmation', text: 'See you' };

    const error = await failureOf(transport.sendMail(mail));
    expect(error.responseCode).toBe(421);
    expect(receiver.messages).toHaveLength(0);

    await transport.sendMail(mail);
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.refusals).toMatchObject([{ stage: 'data', code: 421 }]);
  });

  it('answers slowly enough for a client timeout to fire when latency is set', async () => {
    const receiver = await aReceiver();
    receiver.setLatency(1_000);
    const transport = nodemailer.createTransport({ ...receiver.transportOptions, greetingTimeout: 100 });
    cleanups.push(() => transport.close());

    const error = await failureOf(transport.sendMail({ from: 'office@example.com', to: 'ana@example.com', subject: 's', text: 't' }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(receiver.messages).toHaveLength(0);
  });

  it('requires matching credentials when configured', async () => {
    const receiver = await aReceiver({ credentials: { user: 'switchboard', pass: 'secret' } });
    const wrong = nodemailer.createTransport({ ...receiver.transportOptions, auth: { user: 'switchboard', pass: 'nope' } });
    cleanups.push(() => wrong.close());
    const error = await failureOf(wrong.sendMail({ from: 'office@example.com', to: 'ana@example.com', subject: 's', text: 't' }));
    expect(error.code).toBe('EAUTH');
    expect(error.responseCode).toBe(535);

    const right = nodemailer.createTransport({ ...receiver.transportOptions, auth: { user: 'switchboard', pass: 'secret' } });
    cleanups.push(() => right.close());
    await right.sendMail({ from: 'office@example.com', to: 'ana@example.com', subject: 's', text: 't' });
    expect(receiver.messages[0]?.authUser).toBe('switchboard');
  });
});
