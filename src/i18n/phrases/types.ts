/**
 * Everything Switchboard says to a caller (through the agent) and every date it writes into a message, as one table
 * per language. A language is one file implementing `Phrases` plus one line in `phrases/index.ts`; the code that
 * answers a function call never holds a sentence of its own. Dates and times arrive as Luxon values already in the
 * office's zone and in the table's `locale`, so month and weekday names come from the platform's Intl data, never
 * from a hand-written list.
 */
import type { DateTime } from 'luxon';

/** A slot or day the way the agent reads it, already in the caller's language. */
export interface SpokenItem {
  spoken: string;
}

export interface TimePhrases {
  /** "Tuesday, February 3 at 2:30 PM"; `ambiguous`: the hour happens twice that night, so the zone is named. */
  spoken(local: DateTime, ambiguous: boolean): string;
  /** "Tuesday, February 3". */
  day(local: DateTime): string;
  /** The time of day alone: "2:30 PM" (with the zone when ambiguous). */
  clock(local: DateTime, ambiguous: boolean): string;
  /** A wall-clock time with no date ("2:30 AM"), for "2:30 AM doesn't exist that night". */
  wallClock(hour: number, minute: number): string;
  /** "Tue 2/3 2:30 PM", for texts: short, and GSM-7-safe where the language allows. */
  short(local: DateTime): string;
  /** "February 3, 2027". */
  date(local: DateTime): string;
}

export interface Phrases {
  /** The Intl/Luxon locale for month and weekday names. */
  locale: string;
  /** The language's own name, shown in the dashboard ("English", "Español"). */
  name: string;
  time: TimePhrases;
  /** "a, b, or c". */
  list(items: string[]): string;
  /** Replaces characters outside GSM-7 in values this language inserts into texts (dates), or returns the text. */
  smsSafe(text: string): string;
  /** The greeting the agent may open with, for `call_inbound`. */
  greeting(officeName: string, firstName: string | undefined): string;
  /** `office_hours_today` for `call_inbound`: "9 AM to 12 PM and 1 PM to 5 PM", or that the office is closed today. */
  hoursToday(ranges: Array<{ open: { hour: number; minute: number }; close: { hour: number; minute: number } }>): string;
  /** "there" in "Hi there": a missing name must not stop a confirmation. Never empty (an empty value is a missing one). */
  unnamedCaller: string;
  /** `{{opt_out_text}}` in texts. */
  optOutText: string;
  /** `{{reschedule_instructions}}`. */
  rescheduleInstructions(officePhone: string): string;
  /** `{{open_slots}}` in a rebook message when nothing is open in the next few days. */
  noOpenSlots(officePhone: string): string;

  availability: {
    unknownType(offered: string): string;
    invalidDate(field: string, value: string): string;
    past(day: string): string;
    beyondHorizon(days: number, lastDay: string): string;
    springForward(clock: string, day: string): string;
    fallBack(clock: string, day: string): string;
    partOfDayEmpty(partOfDay: 'morning' | 'afternoon' | 'evening'): string;
    offer(typeName: string, slots: string[]): string;
    nothingOpen(typeName: string, fromDay: string, toDay: string | undefined): string;
    nearestOpen(days: Array<{ day: string; firstOpening: string }>): string;
    noOpeningSoon: string;
    timeNotUnderstood(text: string): string;
  };
  booking: {
    booked(typeName: string, spoken: string, whatToBring: string): string;
    unknownType(offered: string): string;
    invalidStart: string;
    nonexistentStart(nearest: string): string;
    ambiguousStart(options: string[]): string;
    missingPhone: string;
    notBookable(spoken: string, offers: string[]): string;
    justTaken(spoken: string): string;
    noLongerFree(spoken: string): string;
    slotTaken(why: string, offers: string[]): string;
  };
  /** An office with several bookable people (issue 20). */
  staff: {
    /** A slot said with its person: "Tuesday, February 3 at 2:00 PM with Ana Ruiz". */
    withPerson(spoken: string, name: string): string;
    unknownPerson(wanted: string, names: string[]): string;
    doesNotTake(name: string, typeName: string, others: string[]): string;
    nobodyTakes(typeName: string): string;
  };
  manage: {
    whichPhone: string;
    noneUpcoming: string;
    found(items: Array<{ typeName: string; spoken: string }>): string;
    bookingNotFound: string;
    several(count: number, spoken: string[]): string;
    noLongerActive: string;
    nonexistentStart(nearest: string): string;
    ambiguousStart(options: string[]): string;
    invalidStart: string;
    sameTime(spoken: string): string;
    offerOthers(why: string, offers: string[]): string;
    notBookable(spoken: string): string;
    taken(spoken: string): string;
    justTaken(spoken: string): string;
    moved(typeName: string, from: string, to: string): string;
    movedTo(from: string | undefined, to: string): string;
    alreadyCancelled(spoken: string): string;
    notActive: string;
    cancelled(spoken: string): string;
  };
  /** The page an e-mail's unsubscribe link opens (HTML-escaped office name passed in). */
  unsubscribePage: {
    title(officeName: string): string;
    question(officeName: string): string;
    button: string;
    doneTitle: string;
    done(officeName: string): string;
  };
  functions: {
    fallback: string;
    stillProcessing: string;
    calendarFallback: string;
    noCallerNumber: string;
    saved(fields: Array<'name' | 'email' | 'language' | 'note'>): string;
    callbackNeedsNumber: string;
    callbackNoted(officeName: string, preferredTime: string | undefined): string;
    optOutNeeds(missing: Array<'sms' | 'email'>): string;
    optedOut(done: Array<'sms' | 'email'>, officeName: string, missing: Array<'sms' | 'email'>): string;
    noTransfer(officeName: string): string;
    transferTo(name: string, number: string): string;
  };
}
