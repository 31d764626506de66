import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureModule } from '../../src/app-context.js';
import { VendorError } from '../../src/core/errors.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';

const echoModule: FeatureModule = {
  name: 'echo',
  routes(app) {
    app.post('/v1/test/echo', { bodyLimit: 64 * 1024 }, async (request) => ({ received: request.body, raw: request.rawBody }));
    app.get('/v1/test/vendor-down', async () => {
      throw new VendorError({ vendor: 'zoho-calendar', code: 'HTTP_503', message: 'Service unavailable for +12125550123', retryable: true, status: 503 });
    });
  },
};

describe.each(BACKENDS)('the HTTP app on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(kind, { modules: [echoModule] });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('answers /healthz and reports the database and migrations ready in /readyz', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Array<{ name: string; status: string }> };
    expect(body.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'database', status: 'ok' }), expect.objectContaining({ name: 'migrations', status: 'ok' })]),
    );
  });

  it('exposes request latency and outbox depth per status in Prometheus format', async () => {
    await enqueue(app.context.db, app.clock, { clientId: 'smart-tax-nation', kind: 'never_handled', payload: {}, dedupeKey: `metrics-${kind}` });
    await fetch(`${app.url}/healthz`);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/switchboard_http_request_duration_seconds_bucket\{[^}]*route="\/healthz"/);
    expect(text).toMatch(/switchboard_outbox_rows\{status="scheduled"\} [1-9]/);
    expect(text).toContain('switchboard_outbox_handler_duration_seconds');
  });

  it('keeps the exact request bytes for signature checks', async () => {
    const raw = '{"b":1,  "a":"caf\\u00e9"}';
    const response = await fetch(`${app.url}/v1/test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { b: 1, a: 'café' }, raw });
  });

  it('answers malformed JSON with 400 and a message, not 500', async () => {
    const response = await fetch(`${app.url}/v1/test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"call": ' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { message: string };
    expect(body.message).toMatch(/not valid JSON/);
  });

  it('answers an oversized body with 413', async () => {
    const response = await fetch(`${app.url}/v1/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(70 * 1024) }),
    });
    expect(response.status).toBe(413);
  });

  it('answers 503 with a message, not 500, when a vendor fails during a request, and masks what the vendor said', async () => {
    const answer = await fetch(`${app.url}/v1/test/vendor-down`);
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as { error: string; message: string };
    expect(body.error).toBe('vendor_unavailable');
    expect(body.message).toContain('zoho-calendar could not complete this just now');
    expect(body.message).not.toContain('+12125550123');
  });

  it('answers unknown routes with 404 and a request id header', async () => {
    const response = await fetch(`${app.url}/v1/nothing-here`, { headers: { 'x-request-id': 'req-abc-123' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('req-abc-123');
    expect(((await response.json()) as { message: string }).message).toContain('/v1/nothing-here');
  });
});
