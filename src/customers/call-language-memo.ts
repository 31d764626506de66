/**
 * What the customer row said about the caller's language, remembered per call by this instance, so a call's later
 * function requests choose their language without reading the row again (issue 21: that read was one of the six
 * waits for a database connection in a row behind every function answer).
 *
 * Only what this instance read or wrote is kept, for one call and for at most `maxAgeMs`. It is forgotten when the
 * row may have changed: this instance's save_caller_details and staff edits forget at once (`forgetCall`,
 * `forgetCustomer`), and every instance hears the `customer.changed` live event those changes (and a language learned
 * from a call) publish in their transaction. A read that started before a forget is not kept (`since`), so an answer
 * read from the old row never outlives the change. What is left: another instance's change is seen once its NOTIFY
 * arrives (milliseconds after its commit; a caller's next function request comes seconds later), and if this
 * instance's LISTEN connection is down, at most `maxAgeMs` (docs/decisions.md, "The caller's language per call").
 */
import type { EventBus } from '../events/bus.js';

/** The language columns of the caller's customer row; `customerId` null: no row for this number yet. */
export interface RememberedLanguage {
  customerId: number | null;
  language: string | null;
  source: string | null;
}

interface Entry extends RememberedLanguage {
  clientId: string;
  phone: string;
  storedAt: number;
}

export const CUSTOMER_CHANGED = 'customer.changed';

export class CallLanguageMemo {
  private readonly entries = new Map<string, Entry>();
  private forgets = 0;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? 5_000;
    this.maxAgeMs = options.maxAgeMs ?? 30 * 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** A mark taken before reading the row: `remember` keeps the read only if nothing was forgotten since. */
  since(): number {
    return this.forgets;
  }

  recall(clientId: string, callId: string, phone: string): RememberedLanguage | undefined {
    const key = keyOf(clientId, callId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.phone !== phone || this.now() - entry.storedAt > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { customerId: entry.customerId, language: entry.language, source: entry.source };
  }

  remember(clientId: string, callId: string, phone: string, value: RememberedLanguage, since: number): void {
    if (since !== this.forgets) return;
    const key = keyOf(clientId, callId);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Oldest first (a Map keeps insertion order and every write re-inserts).
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { ...value, clientId, phone, storedAt: this.now() });
  }

  forgetCall(clientId: string, callId: string): void {
    this.forgets++;
    this.entries.delete(keyOf(clientId, callId));
  }

  /**
   * A customer row changed: its calls are forgotten, and so are this office's calls that found no row (the row may
   * have been made since, for one of them).
   */
  forgetCustomer(clientId: string, customerId: number): void {
    this.forgets++;
    for (const [key, entry] of this.entries) {
      if (entry.clientId === clientId && (entry.customerId === customerId || entry.customerId === null)) this.entries.delete(key);
    }
  }

  /** Forgets on every instance's `customer.changed` event; returns the unsubscribe. */
  listen(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type !== CUSTOMER_CHANGED || !event.clientId) return;
      const { id, callId } = event.data ?? {};
      if (typeof callId === 'string') this.forgetCall(event.clientId, callId);
      if (typeof id === 'number') this.forgetCustomer(event.clientId, id);
      else if (typeof callId !== 'string') this.forgetAll();
    });
  }

  private forgetAll(): void {
    this.forgets++;
    this.entries.clear();
  }
}

function keyOf(clientId: string, callId: string): string {
  return `${clientId}\u0000${callId}`;
}
