/**
 * Calendar reads shared between requests that ask at the same moment (issue 21: 200 callers asking at once made 200
 * identical free/busy reads at the vendor, each paid in the function's latency). A `view` joins a read of the same
 * office and window that is already on its way, but only one that started after the last calendar write made
 * through this process (create, update, remove) began and ended: every answer still reflects everything this
 * process wrote before it asked, as its own read would. Nothing is kept once a read has answered (no time-based
 * cache), so a slot booked elsewhere shows as busy from the next read on. Booking itself never trusts an offer: it
 * holds the slot in the database (slot locks, shared by every instance) before it reads the calendar again.
 */
import { timed } from '../core/step-times.js';
import type { CalendarPort, CalendarView } from './calendar-port.js';

interface Read {
  epoch: number;
  answer: Promise<CalendarView>;
}

export class SharedCalendarViews {
  private readonly reads = new Map<string, Read>();
  /** Per office: bumped when a write starts and when it ends; a read joins only one of the current epoch. */
  private readonly epochs = new Map<string, number>();
  /** Reads that joined another one (for figures and tests). */
  joined = 0;

  /**
   * `calendarKey` names which of the office's calendars the port reads (a bookable person's calendar id; '' for the
   * office's one calendar): two people's calendars never share a read. Writes stay office-wide (conservative).
   */
  view(port: CalendarPort, clientId: string, startMs: number, endMs: number, signal?: AbortSignal, calendarKey = ''): Promise<CalendarView> {
    const key = `${clientId}\u0000${calendarKey}\u0000${startMs}\u0000${endMs}`;
    const epoch = this.epochs.get(clientId) ?? 0;
    const current = this.reads.get(key);
    if (current && current.epoch === epoch) {
      this.joined += 1;
      return timed('calendar:joined', () => withSignal(current.answer, signal));
    }
    // The shared read has no caller's signal: one caller hanging up must not fail the others (the adapter's own
    // request timeout still bounds it); each caller stops waiting on its own signal.
    const answer = port.view(clientId, startMs, endMs);
    const read: Read = { epoch, answer };
    this.reads.set(key, read);
    const forget = () => {
      if (this.reads.get(key) === read) this.reads.delete(key);
    };
    answer.then(forget, forget);
    return timed('calendar:read', () => withSignal(answer, signal));
  }

  /** Runs a calendar write: no read started before it (or during it) is joined afterwards. */
  async write<T>(clientId: string, work: () => Promise<T>): Promise<T> {
    this.bump(clientId);
    try {
      return await timed('calendar:write', work);
    } finally {
      this.bump(clientId);
    }
  }

  private bump(clientId: string): void {
    this.epochs.set(clientId, (this.epochs.get(clientId) ?? 0) + 1);
  }
}

function withSignal<T>(answer: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return answer;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    answer.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
