/** English: what Switchboard said before languages existed, word for word (the tests hold it byte-identical). */
import { DateTime } from 'luxon';
import type { Phrases } from './types.js';

const LOCALE = 'en-US';

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
}

function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

const channelAddress = (channel: 'sms' | 'email') => (channel === 'sms' ? 'phone number' : 'e-mail address');
const SAVED_FIELD = { name: 'name', email: 'e-mail address', language: 'language', note: 'note' } as const;

export const en: Phrases = {
  locale: LOCALE,
  name: 'English',
  time: {
    spoken: (local, ambiguous) => {
      const base = local.toFormat("cccc, LLLL d 'at' h:mm a");
      return ambiguous ? `${base} ${local.toFormat('ZZZZ')}` : base;
    },
    day: (local) => local.toFormat('cccc, LLLL d'),
    clock: (local, ambiguous) => (ambiguous ? `${local.toFormat('h:mm a')} ${local.toFormat('ZZZZ')}` : local.toFormat('h:mm a')),
    wallClock: (hour, minute) => DateTime.fromObject({ hour, minute }).setLocale(LOCALE).toFormat('h:mm a'),
    short: (local) => local.toFormat('ccc L/d h:mm a'),
    date: (local) => local.toFormat('LLLL d, yyyy'),
  },
  list,
  smsSafe: (text) => text,
  greeting: (officeName, firstName) => (firstName ? `Hi ${firstName}, thanks for calling ${officeName}.` : `Thanks for calling ${officeName}.`),
  unnamedCaller: 'there',
  hoursToday: (ranges) => {
    const time = ({ hour, minute }: { hour: number; minute: number }) =>
      DateTime.fromObject({ hour, minute })
        .setLocale(LOCALE)
        .toFormat(minute === 0 ? 'h a' : 'h:mm a');
    return ranges.length === 0 ? 'closed today' : ranges.map((range) => `${time(range.open)} to ${time(range.close)}`).join(' and ');
  },
  optOutText: 'Reply STOP to opt out',
  rescheduleInstructions: (officePhone) => `To reschedule or cancel, call us at ${officePhone}.`,
  noOpenSlots: (officePhone) => `none in the next few days; call ${officePhone} and we'll find one`,

  availability: {
    unknownType: (offered) => `I don't know that kind of appointment. We offer: ${offered}. Which one would the caller like?`,
    invalidDate: (field, value) => `The ${field} "${value}" is not a date; pass it as YYYY-MM-DD.`,
    past: (day) => `${day} has already passed. Which upcoming day works for the caller?`,
    beyondHorizon: (days, lastDay) => `We only book up to ${days} days ahead, until ${lastDay}. Which earlier day works?`,
    springForward: (clock, day) => `${clock} doesn't exist on ${day} because the clocks spring forward an hour that night.`,
    fallBack: (clock, day) => `${clock} happens twice on ${day} because the clocks fall back; I've named which one.`,
    partOfDayEmpty: (partOfDay) => `Nothing is open in the ${partOfDay} then, but other times that day are.`,
    offer: (typeName, slots) => `For ${withArticle(typeName.toLowerCase())}, I have ${list(slots)}. Which works best?`,
    nothingOpen: (typeName, fromDay, toDay) =>
      `There's nothing open for ${withArticle(typeName.toLowerCase())} ${toDay === undefined ? `on ${fromDay}` : `between ${fromDay} and ${toDay}`}.`,
    nearestOpen: (days) => `The nearest open days are ${list(days.map((day) => `${day.day} (first opening ${day.firstOpening})`))}.`,
    noOpeningSoon: 'I could not find an opening in the next few days; offer to have someone call back.',
    timeNotUnderstood: (text) => `I didn't understand the time "${text}". Ask for a time like 2:30 PM.`,
  },
  booking: {
    booked: (typeName, spoken, whatToBring) =>
      `You're all set: ${typeName.toLowerCase()} on ${spoken}. Please bring ${whatToBring}. We'll send a confirmation by text.`,
    unknownType: (offered) => `We offer: ${offered}. Which one should I book?`,
    invalidStart: 'I need the start time as given by the availability check (for example 2026-02-03T14:30:00-05:00).',
    nonexistentStart: (nearest) =>
      `That time doesn't exist that night because the clocks spring forward; the nearest real time is ${nearest}. Shall I check that?`,
    ambiguousStart: (options) => `That time happens twice that night because the clocks fall back: ${options.join(' or ')}. Which one?`,
    missingPhone: 'What is the best phone number for the appointment?',
    notBookable: (spoken, offers) =>
      `${spoken} isn't a time we can book (outside our hours, too soon, or too far ahead).${offers.length > 0 ? ` I can offer ${offers.join(', ')}.` : ''}`,
    justTaken: (spoken) => `Sorry, ${spoken} was just taken.`,
    noLongerFree: (spoken) => `Sorry, ${spoken} is no longer free.`,
    slotTaken: (why, offers) =>
      offers.length > 0 ? `${why} The nearest open times are ${offers.join(', ')}. Would one of those work?` : `${why} Would another day work?`,
  },
  staff: {
    withPerson: (spoken, name) => `${spoken} with ${name}`,
    unknownPerson: (wanted, names) =>
      names.length > 0
        ? `I don't know anyone called "${wanted}" here. Appointments are with ${list(names)}. Who would the caller like?`
        : `I don't know anyone called "${wanted}" here.`,
    doesNotTake: (name, typeName, others) =>
      `${name} doesn't take ${withArticle(typeName.toLowerCase())}.${others.length > 0 ? ` For that, appointments are with ${list(others)}.` : ''}`,
    nobodyTakes: (typeName) => `Nobody here takes ${withArticle(typeName.toLowerCase())} at the moment; offer to have someone call back.`,
  },
  manage: {
    whichPhone: 'What phone number was the appointment booked under?',
    noneUpcoming: "I don't see any upcoming appointments under that number.",
    found: (items) => `I see ${list(items.map((item) => `${withArticle(item.typeName.toLowerCase())} on ${item.spoken}`))}.`,
    bookingNotFound: 'I could not find that booking. Shall I look it up by phone number?',
    several: (count, spoken) => `There are ${count} upcoming appointments: ${list(spoken)}. Which one?`,
    noLongerActive: 'That appointment is no longer active. Shall I book a new one?',
    nonexistentStart: (nearest) => `That time doesn't exist that night (clocks spring forward); the nearest is ${nearest}.`,
    ambiguousStart: (options) => `That time happens twice that night: ${options.join(' or ')}. Which one?`,
    invalidStart: 'I need the new start time as the availability check gave it.',
    sameTime: (spoken) => `The appointment is on ${spoken}.`,
    offerOthers: (why, offers) => (offers.length > 0 ? `${why} I can offer ${list(offers)}.` : `${why} Would another day work?`),
    notBookable: (spoken) => `${spoken} isn't a time we can book.`,
    taken: (spoken) => `Sorry, ${spoken} is taken.`,
    justTaken: (spoken) => `Sorry, ${spoken} was just taken.`,
    moved: (typeName, from, to) => `Done: the ${typeName.toLowerCase()} moved from ${from} to ${to}. We'll text the new time.`,
    movedTo: (from, to) => `Done: the appointment moved${from === undefined ? '' : ` from ${from}`} to ${to}. We'll text the new time.`,
    alreadyCancelled: (spoken) => `The appointment on ${spoken} is cancelled.`,
    notActive: 'That appointment is not active.',
    cancelled: (spoken) => `The appointment on ${spoken} is cancelled. We'll send a text to confirm.`,
  },
  unsubscribePage: {
    title: (officeName) => `Unsubscribe from ${officeName}`,
    question: (officeName) => `Stop marketing e-mails from ${officeName}? Appointment confirmations still arrive.`,
    button: 'Unsubscribe',
    doneTitle: "You're unsubscribed",
    done: (officeName) => `You will not get marketing e-mails from ${officeName} any more.`,
  },
  functions: {
    fallback: "I couldn't finish that just now. Please tell the caller a staff member will follow up, or offer to take a message for a callback.",
    stillProcessing: 'That request is still being processed. Please wait a moment, then ask again.',
    calendarFallback: "I couldn't reach the calendar just now — may I have someone from the office call you back to set this up?",
    noCallerNumber: "I can't save details for a call without a caller number. Please let the caller know staff will note it.",
    saved: (fields) => `Saved the caller's ${fields.map((field) => SAVED_FIELD[field]).join(', ')}.`,
    callbackNeedsNumber: 'I need a number to call back. Please ask the caller for their phone number.',
    callbackNoted: (officeName, preferredTime) =>
      `Noted: someone from ${officeName} will call back${preferredTime ? ` ${preferredTime}` : ' as soon as they can'}.`,
    optOutNeeds: (missing) => `I need the caller's ${missing.map(channelAddress).join(' and ')} to stop messages. Please ask for it.`,
    optedOut: (done, officeName, missing) =>
      `Done: the caller will get no more ${done.map((channel) => (channel === 'sms' ? 'text messages' : 'e-mails')).join(' or ')} from ${officeName}.` +
      (missing.length > 0 ? ` I could not stop ${missing.map(channelAddress).join(' and ')} messages without the address.` : ''),
    noTransfer: (officeName) =>
      `Nobody at ${officeName} can take a transfer right now. Offer to have someone call back, and use request_callback with the reason.`,
    transferTo: (name, number) => `Transfer the caller to the ${name} at ${number}.`,
  },
};
