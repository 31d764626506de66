/**
 * Posts to a Slack incoming webhook with `@slack/webhook`. Slack answers errors as plain-text strings; they are
 * classified per reference/messaging.md §3: 429, 5xx and network trouble retry (429 carries Retry-After, which
 * the SDK does not read, so a fetch wrapper captures it), every other 4xx is permanent.
 */
import { IncomingWebhook, IncomingWebhookHTTPError, type FetchFunction } from '@slack/webhook';
import { VendorError } from '../../core/errors.js';

export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

export interface SlackSendOptions {
  timeoutMs?: number;
}

export async function postSlackMessage(url: string, message: SlackMessage, options: SlackSendOptions = {}): Promise<{ response: string }> {
  let retryAfter: string | null = null;
  const fetchWithHeaders: FetchFunction = async (target, init) => {
    const response = await fetch(target, init);
    retryAfter = response.headers.get('retry-after');
    return response as unknown as Awaited<ReturnType<FetchFunction>>;
  };
  const webhook = new IncomingWebhook(url, { timeout: options.timeoutMs ?? 10_000, fetch: fetchWithHeaders });
  try {
    const result = await webhook.send({ text: message.text, blocks: message.blocks as never });
    return { response: String(result.text ?? 'ok') };
  } catch (error) {
    if (error instanceof IncomingWebhookHTTPError) {
      const status = error.statusCode;
      const body = String(error.body ?? '').slice(0, 200);
      const retryable = status === 429 || status >= 500;
      const seconds = retryAfter === null ? undefined : Number(retryAfter);
      throw new VendorError({
        vendor: 'slack',
        code: body || `http_${status}`,
        message: `Slack refused the alert (${status} ${body})`,
        retryable,
        status,
        response: { body, retryAfterSeconds: Number.isFinite(seconds) ? seconds : undefined },
        cause: error,
      });
    }
    throw new VendorError({
      vendor: 'slack',
      code: 'network',
      message: `Could not reach Slack: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
      cause: error,
    });
  }
}
