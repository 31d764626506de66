import { IncomingWebhook, IncomingWebhookHTTPError } from '@slack/webhook';
import { afterEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../../src/sandbox/slack.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function anEmulator(): Promise<SlackEmulator> {
  const emulator = await startSlackEmulator();
  cleanups.push(() => emulator.close());
  return emulator;
}

async function failureOf(promise: Promise<unknown>): Promise<IncomingWebhookHTTPError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(IncomingWebhookHTTPError);
  return error as IncomingWebhookHTTPError;
}

async function postRaw(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('Slack emulator', () => {
  it('accepts a message from the real IncomingWebhook with a plain-text ok', async () => {
    const emulator = await anEmulator();
    const url = emulator.webhookUrl('alerts');
    expect(url).toMatch(/\/services\/T[0-9A-F]{8}\/B[0-9A-F]{8}\/[\w-]+$/);
    const webhook = new IncomingWebhook(url);

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Zoho Calendar* is unreachable' } }];
    await expect(webhook.send({ text: 'Zoho Calendar is unreachable', blocks })).resolves.toEqual({ text: 'ok' });

    expect(emulator.messages).toHaveLength(1);
    expect(emulator.messages[0]).toMatchObject({ hook: 'alerts', path: new URL(url).pathname, text: 'Zoho Calendar is unreachable', blocks });
    expect(emulator.messagesTo(url)).toHaveLength(1);
    const raw = await postRaw(url, JSON.stringify({ text: 'again' }));
    expect(raw).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok' });
  });

  it('answers invalid_payload for malformed JSON and no_text without text or blocks', async () => {
    const emulator = await anEmulator();
    const url = emulator.webhookUrl();
    expect(await postRaw(url, '{"text": ')).toMatchObject({ status: 400, body: 'invalid_payload' });
    expect(await postRaw(url, '')).toMatchObject({ status: 400, body: 'invalid_payload' });
    expect(await postRaw(url, '[1,2]')).toMatchObject({ status: 400, body: 'invalid_payload' });

    const error = await failureOf(new IncomingWebhook(url).send({ unfurl_links: false }));
    expect(error.statusCode).toBe(400);
    expect(error.body).toBe('no_text');
    expect(emulator.messages).toHaveLength(0);
  });

  it('accepts the legacy form-encoded payload parameter', async () => {
    const emulator = await anEmulator();
    const url = emulator.webhookUrl();
    const response = await postRaw(
      url,
      new URLSearchParams({ payload: JSON.stringify({ text: 'form post' }) }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(response).toMatchObject({ status: 200, body: 'ok' });
    expect(emulator.messages[0]?.text).toBe('form post');
  });

  it('fails marked hooks with the status and body Slack uses, which IncomingWebhook exposes', async () => {
    const emulator = await anEmulator();
    const missingChannel = emulator.webhookUrl('ops');
    const revoked = emulator.webhookUrl('old');
    const healthy = emulator.webhookUrl('alerts');
    emulator.channelNotFound(missingChannel);
    emulator.revoke(new URL(revoked).pathname);

    const notFound = await failureOf(new IncomingWebhook(missingChannel).send('hello'));
    expect(notFound).toMatchObject({ code: 'slack_webhook_http_error', statusCode: 404, body: 'channel_not_found' });
    const gone = await failureOf(new IncomingWebhook(revoked).send('hello'));
    expect(gone).toMatchObject({ statusCode: 404, body: 'no_service' });
    const unknown = await failureOf(new IncomingWebhook(`${emulator.url}/services/T1/B1/forged`).send('hello'));
    expect(unknown).toMatchObject({ statusCode: 403, body: 'invalid_token' });

    await new IncomingWebhook(healthy).send('still fine');
    expect(emulator.messages.map((message) => message.hook)).toEqual(['alerts']);
  });

  it('rate-limits the next posts with 429 and Retry-After, then accepts again', async () => {
    const emulator = await anEmulator();
    const url = emulator.webhookUrl();
    emulator.rateLimit(1, 30);

    const limited = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"burst"}' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(await limited.text()).toBe('rate_limited');
    expect(emulator.messages).toHaveLength(0);

    emulator.rateLimit(1, 5);
    const error = await failureOf(new IncomingWebhook(url).send('burst'));
    expect(error).toMatchObject({ statusCode: 429, body: 'rate_limited' });

    await new IncomingWebhook(url).send('after the limit');
    expect(emulator.messages.map((message) => message.text)).toEqual(['after the limit']);
  });

  it('resolves waitForMessage when a matching message arrives', async () => {
    const emulator = await anEmulator();
    const url = emulator.webhookUrl();
    const arrival = emulator.waitForMessage((message) => message.text === 'second', 5_000);
    await new IncomingWebhook(url).send('first');
    await new IncomingWebhook(url).send('second');
    await expect(arrival).resolves.toMatchObject({ text: 'second' });
  });
});
