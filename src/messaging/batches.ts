/**
 * The per-message statements of sending and of status callbacks, coalesced (batcher.ts): the send-time
 * consent check, the delivery record after a send, the status-callback upsert and its live event. Under a
 * burst (10,000 due reminders, two callbacks per text) this turns five round trips per text into a handful
 * per batch; one message alone still runs at once.
 */
import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import { normalizeConsentAddress } from '../customers/consent.js';
import { Batcher } from './batcher.js';
import { recordDeliveries, recordStatusEvents, type DeliveryUpdate, type StatusEventUpdate } from './deliveries.js';
import type { MessageChannel } from './payload.js';
import type { MessagePurpose } from './send-window.js';

export interface ConsentQuestion {
  clientId: string;
  channel: MessageChannel;
  address: string;
  purpose: MessagePurpose;
}

export interface MessagingBatches {
  /** Whether the address opted out of this purpose on this channel (the same rule as customers/consent.ts). */
  isOptedOut(question: ConsentQuestion): Promise<boolean>;
  recordDelivery(update: DeliveryUpdate): Promise<{ status: string; outboxId: number | null }>;
  /** Undefined for a duplicate callback. */
  recordStatusEvent(update: StatusEventUpdate): Promise<{ status: string; outboxId: number | null } | undefined>;
  /** A delivery reached an end state: one `message.status` live event per client and batch. */
  announceStatus(change: { clientId: string; outboxId: number | null; status: string }): Promise<void>;
}

/** Live events stay far below NOTIFY's 8000-byte limit. */
const MAX_CHANGES_PER_EVENT = 100;

export function createMessagingBatches(context: Pick<AppContext, 'db' | 'bus'>): MessagingBatches {
  const consent = new Batcher<ConsentQuestion, boolean>({
    async run(questions) {
      const rows = JSON.stringify(
        questions.map((question, idx) => ({
          idx,
          client_id: question.clientId,
          channel: question.channel,
          address: normalizeConsentAddress(question.channel, question.address),
          purpose: question.purpose,
        })),
      );
      const result = await sql<{ idx: number }>`
        select i.idx from jsonb_to_recordset(${rows}::jsonb) as i(idx int, client_id text, channel text, address text, purpose text)
        where exists (select 1 from consents c where c.client_id = i.client_id and c.channel = i.channel
          and c.address = i.address and c.purpose = i.purpose and c.status = 'opted_out')`.execute(context.db);
      const optedOut = new Set(result.rows.map((row) => Number(row.idx)));
      return questions.map((_, idx) => optedOut.has(idx));
    },
  });
  const deliveries = new Batcher<DeliveryUpdate, { status: string; outboxId: number | null }>({
    run: (updates) => recordDeliveries(context.db, updates),
    keyOf: (update) => update.providerId,
  });
  const statusEvents = new Batcher<StatusEventUpdate, { status: string; outboxId: number | null } | undefined>({
    run: (updates) => recordStatusEvents(context.db, updates),
    keyOf: (update) => update.providerId,
  });
  const announcements = new Batcher<{ clientId: string; outboxId: number | null; status: string }, void>({
    async run(changes) {
      const byClient = new Map<string, Array<{ outboxId: number | null; status: string }>>();
      for (const change of changes) {
        const list = byClient.get(change.clientId) ?? [];
        list.push({ outboxId: change.outboxId, status: change.status });
        byClient.set(change.clientId, list);
      }
      for (const [clientId, list] of byClient) {
        for (let start = 0; start < list.length; start += MAX_CHANGES_PER_EVENT) {
          const chunk = list.slice(start, start + MAX_CHANGES_PER_EVENT);
          // One change keeps the original shape ({ outboxId, status }); more add `messages`.
          const data = chunk.length === 1 ? { ...chunk[0]! } : { outboxId: chunk[0]!.outboxId, status: chunk[0]!.status, messages: chunk };
          await context.bus.publish({ type: 'message.status', clientId, data });
        }
      }
      return changes.map(() => undefined);
    },
  });
  return {
    isOptedOut: (question) => consent.add(question),
    recordDelivery: (update) => deliveries.add(update),
    recordStatusEvent: (update) => statusEvents.add(update),
    announceStatus: (change) => announcements.add(change),
  };
}
