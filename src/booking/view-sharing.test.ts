import { describe, expect, it } from 'vitest';
import type { CalendarPort, CalendarView } from './calendar-port.js';
import { SharedCalendarViews } from './view-sharing.js';

/** A calendar whose reads answer when the test says, each with the busy time it had when the read began. */
function heldCalendar() {
  let busy: Array<{ startMs: number; endMs: number }> = [];
  const pending: Array<() => void> = [];
  const port = {
    reads: 0,
    async view(): Promise<CalendarView> {
      port.reads += 1;
      const seen = [...busy];
      await new Promise<void>((resolve) => pending.push(resolve));
      return { busy: seen, events: [] };
    },
  };
  return {
    port: port as unknown as CalendarPort & { reads: number },
    book: (startMs: number) => void (busy = [...busy, { startMs, endMs: startMs + 1 }]),
    answerAll: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

describe('calendar reads shared between requests asking at once', () => {
  it('answers 200 identical reads asked together with one vendor read, and a later read reads again', async () => {
    const calendar = heldCalendar();
    const shared = new SharedCalendarViews();
    const answers = Array.from({ length: 200 }, () => shared.view(calendar.port, 'office', 0, 100));
    const otherWindow = shared.view(calendar.port, 'office', 0, 200);
    const otherOffice = shared.view(calendar.port, 'elsewhere', 0, 100);
    calendar.answerAll();
    await Promise.all([...answers, otherWindow, otherOffice]);
    expect(calendar.port.reads).toBe(3);
    expect(shared.joined).toBe(199);
    // Nothing is kept once answered: a slot booked since then shows.
    calendar.book(10);
    const later = shared.view(calendar.port, 'office', 0, 100);
    calendar.answerAll();
    expect((await later).busy).toEqual([{ startMs: 10, endMs: 11 }]);
    expect(calendar.port.reads).toBe(4);
  });

  it("never shares one bookable person's calendar read with another's (or with the office's own calendar)", async () => {
    const ana = heldCalendar();
    const ben = heldCalendar();
    const shared = new SharedCalendarViews();
    ben.book(50);
    const anaRead = shared.view(ana.port, 'office', 0, 100, undefined, 'cal-ana');
    const benRead = shared.view(ben.port, 'office', 0, 100, undefined, 'cal-ben');
    const officeRead = shared.view(ana.port, 'office', 0, 100);
    ana.answerAll();
    ben.answerAll();
    expect((await anaRead).busy).toEqual([]);
    expect((await benRead).busy).toEqual([{ startMs: 50, endMs: 51 }]);
    await officeRead;
    expect(ana.port.reads + ben.port.reads).toBe(3);
    expect(shared.joined).toBe(0);
  });

  it('never joins a read that began before a write of that office began or ended', async () => {
    const calendar = heldCalendar();
    const shared = new SharedCalendarViews();
    const before = shared.view(calendar.port, 'office', 0, 100);
    let finishWrite!: () => void;
    const write = shared.write('office', () => new Promise<void>((resolve) => (finishWrite = resolve)).then(() => calendar.book(10)));
    // Asked while the write is on its way: reads again (it may or may not see the write, as its own read would).
    const during = shared.view(calendar.port, 'office', 0, 100);
    finishWrite();
    await write;
    // Asked after the write ended: reads again and sees it.
    const after = shared.view(calendar.port, 'office', 0, 100);
    calendar.answerAll();
    expect((await before).busy).toEqual([]);
    await during;
    expect((await after).busy).toEqual([{ startMs: 10, endMs: 11 }]);
    expect(calendar.port.reads).toBe(3);
    expect(shared.joined).toBe(0);
  });

  it('lets a caller who hangs up stop waiting without failing the others sharing the read', async () => {
    const calendar = heldCalendar();
    const shared = new SharedCalendarViews();
    const controller = new AbortController();
    const leaving = shared.view(calendar.port, 'office', 0, 100, controller.signal);
    const staying = shared.view(calendar.port, 'office', 0, 100);
    controller.abort(new Error('hung up'));
    await expect(leaving).rejects.toThrow('hung up');
    calendar.answerAll();
    expect(await staying).toEqual({ busy: [], events: [] });
    expect(calendar.port.reads).toBe(1);
  });
});
