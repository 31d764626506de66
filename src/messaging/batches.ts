/**
 * The per-message statements of sending and of status callbacks, coalesced (batcher.ts): the send-time
 * consent check, the delivery record after a send, the status-callback upsert and its live event. Under a
 * burst (10,000 due reminders, two callbacks per text) whatever the senders and callbacks ask for while the
 * previous statement runs goes to the database as one statement (deliveries.ts `runMessagingStatement`);
 * one message alone still runs at once.
 */
import type { AppContext } from '../app-context.js';
import type { BusEvent } from '../events/bus.js';
import { normalizeConsentAddress } from '../customers/consent.js';
import { Batcher } from '../db/batcher.js';
import { runMessagingStatement, type DeliveryUpdate, type MessageWrite, type OptOutQuestion, type StatusEventUpdate } from './deliveries.js';
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

export interface MessagingBatchesOptions {
  /**
   * Live `message.status` events go out at most this often (ms; default 50): each one makes open dashboards
   * refetch, so a burst of callbacks is worth one event per moment, not one per database statement.
   */
  announceIntervalMs?: number;
}

/** Live events stay far below NOTIFY's 8000-byte limit. */
const MAX_CHANGES_PER_EVENT = 100;

type Work = { question: OptOutQuestion } | { write: MessageWrite };
type Answer = boolean | { status: string; outboxId: number | null } | undefined;

export function createMessagingBatches(context: Pick<AppContext, 'db' | 'bus'>, options: MessagingBatchesOptions = {}): MessagingBatches {
  const statements = new Batcher<Work, Answer>({
    async run(items) {
      const writes: MessageWrite[] = [];
      const questions: OptOutQuestion[] = [];
      const slots = items.map((item) => ('write' in item ? writes.push(item.write) - 1 : questions.push(item.question) - 1));
      const result = await runMessagingStatement(context.db, writes, questions);
      return items.map((item, index) => ('write' in item ? result.written[slots[index]!] : result.optedOut[slots[index]!]!));
    },
    // An upsert cannot touch one delivery twice: a second write for the same message waits for the next wave.
    keyOf: (item) => ('write' in item ? item.write.providerId : undefined),
  });
  const announcements = new Batcher<{ clientId: string; outboxId: number | null; status: string }, void>({
    minIntervalMs: options.announceIntervalMs ?? 50,
    async run(changes) {
      const byClient = new Map<string, Array<{ outboxId: number | null; status: string }>>();
      for (const change of changes) {
        const list = byClient.get(change.clientId) ?? [];
        list.push({ outboxId: change.outboxId, status: change.status });
        byClient.set(change.clientId, list);
      }
      const events: BusEvent[] = [];
      for (const [clientId, list] of byClient) {
        for (let start = 0; start < list.length; start += MAX_CHANGES_PER_EVENT) {
          const chunk = list.slice(start, start + MAX_CHANGES_PER_EVENT);
          // One change keeps the original shape ({ outboxId, status }); more add `messages`.
          const data = chunk.length === 1 ? { ...chunk[0]! } : { outboxId: chunk[0]!.outboxId, status: chunk[0]!.status, messages: chunk };
          events.push({ type: 'message.status', clientId, data });
        }
      }
      await context.bus.publishMany(events);
      return changes.map(() => undefined);
    },
  });
  return {
    async isOptedOut(question) {
      const address = normalizeConsentAddress(question.channel, question.address);
      return (await statements.add({ question: { clientId: question.clientId, channel: question.channel, address, purpose: question.purpose } })) as boolean;
    },
    async recordDelivery(update) {
      return (await statements.add({ write: { ...update, event: false } })) as { status: string; outboxId: number | null };
    },
    async recordStatusEvent(update) {
      return (await statements.add({ write: { ...update, event: true } })) as { status: string; outboxId: number | null } | undefined;
    },
    announceStatus: (change) => announcements.add(change),
  };
}
