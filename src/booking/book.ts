/**
 * book_appointment: hold the slot (lock rows decide races), re-check the calendar, create the event with our
 * booking id inside it, then store the booking and plan its messages and CRM sync in one transaction.
 * The same call + start + type always lands on the same appointment row, so a repeat returns the first
 * booking, and a retry after a Zoho time-out finds the event by its booking id instead of making another.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { AppContext } from '../app-context.js';
import type { AppointmentType, ClientConfig } from '../config/client-schema.js';
import type { CommitGate } from '../core/commit-gate.js';
import { VendorError } from '../core/errors.js';
import { timed } from '../core/step-times.js';
import { normalizePhone } from '../customers/phone.js';
import { findOrCreateCustomer } from '../customers/store.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { slotsNear, spokenOffer, type OfferedSlot } from './availability.js';
import { appointmentTypeNames, resolveAppointmentType } from './appointment-types.js';
import { bookingMarker, hasBookingMarker, type CalendarEvent } from './calendar-port.js';
import { calendarPortForAppointment } from './deps.js';
import { candidatesFor, type StaffRefusal } from './staff-availability.js';
import { assignmentOrder, slotRulesOfStaff, staffById, upcomingLoad, type StaffMember } from './staff.js';
import { planBookedFollowUps } from './follow-ups.js';
import { bookedColumns, enqueueLateEventCheck, settleLateEvent } from './late-event.js';
import { isoInZone, readStart, spokenTime } from './local-time.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { appointmentTypeWords } from '../messaging/render.js';
import { insertLocks, isUniqueViolation, lookBeforeHold, releaseLocks, sweepExpiredHolds } from './slot-locks.js';
import { isSlotFree, partOfDayOf, slotRulesOf, type SlotRules } from './slots.js';

export interface BookRequest {
  clientId: string;
  callId?: string;
  start: string;
  appointmentType?: string;
  name: string;
  /** Defaults to the caller's number. */
  phone?: string;
  callerNumber?: string;
  email?: string;
  notes?: string;
  signal?: AbortSignal;
  /** How long a request may own a held appointment while it creates the event (the function budget). */
  claimMs?: number;
  /** Told the held appointment's id once this request owns it (for `settleAfterDeadline`). */
  onHeld?: (appointmentId: number) => void;
  /** A function call's commit gate: the booking commits only if the caller has not been given the fallback. */
  gate?: CommitGate;
  /** The caller's language for every sentence of the answer (English when not given). */
  language?: Language;
  /** The person the caller wants, by id or name (an office with staff): without it, the office's assignment picks. */
  staff?: string;
}

export type BookFailure =
  'invalid_start' | 'nonexistent_time' | 'ambiguous_time' | 'unknown_appointment_type' | 'missing_phone' | 'not_bookable' | 'slot_taken' | StaffRefusal;

export interface BookAnswer {
  ok: boolean;
  message: string;
  reason?: BookFailure;
  booking_id?: string;
  appointment_id?: number;
  start?: string;
  spoken?: string;
  alternatives?: OfferedSlot[];
  /** true when this answer repeats an earlier booking of the same call and slot. */
  repeated?: boolean;
  /** Who the appointment is with (an office with staff). */
  staff_id?: string;
  staff_name?: string;
}

export function normalisePhone(text: string | undefined): string | undefined {
  return normalizePhone(text);
}

export function newBookingId(): string {
  return `bk_${randomBytes(10).toString('hex')}`;
}

export function bookedMessage(config: ClientConfig, type: AppointmentType, startMs: number, language: Language = 'en', staffName?: string): string {
  const words = appointmentTypeWords(config, type.id, language);
  const spoken = spokenTime(startMs, config.timezone, language);
  return phrasesFor(language).booking.booked(
    words.name,
    staffName ? phrasesFor(language).staff.withPerson(spoken, staffName) : spoken,
    words.whatToBring ?? type.whatToBring,
  );
}

/** The person of a booked row, for the answer (nothing for an office with one calendar). */
function staffFields(config: ClientConfig, row: AppointmentRow): { staff_id?: string; staff_name?: string } {
  const person = staffById(config, row.staff_id);
  return person ? { staff_id: person.id, staff_name: person.name } : {};
}

function eventDescription(context: AppContext, appointment: AppointmentRow, type: AppointmentType): string {
  const lines = [
    `${type.name} booked by the AI receptionist.`,
    `Caller: ${appointment.caller_name ?? 'unknown'}`,
    `Phone: ${appointment.caller_phone ?? 'unknown'}`,
  ];
  if (appointment.caller_email) lines.push(`Email: ${appointment.caller_email}`);
  if (appointment.notes) lines.push(`Notes: ${appointment.notes}`);
  const person = staffById(context.clients.get(appointment.client_id)!.config, appointment.staff_id);
  if (person) lines.push(`With: ${person.name}`);
  if (appointment.call_id) lines.push(`Call: ${new URL(`/calls/${encodeURIComponent(appointment.call_id)}`, context.publicBaseUrl).toString()}`);
  lines.push(bookingMarker(appointment.booking_id));
  return lines.join('\n');
}

function alternatives(context: AppContext, request: BookRequest, type: AppointmentType, startMs: number): Promise<OfferedSlot[]> {
  return timed('book:alternatives', () =>
    slotsNear(context, {
      clientId: request.clientId,
      appointmentTypeId: type.id,
      startMs,
      signal: request.signal,
      language: request.language,
      staff: request.staff,
    }),
  );
}

async function slotTaken(context: AppContext, request: BookRequest, type: AppointmentType, startMs: number, why: string): Promise<BookAnswer> {
  const offers = await alternatives(context, request, type, startMs).catch(() => []);
  return {
    ok: false,
    reason: 'slot_taken',
    alternatives: offers,
    message: phrasesFor(request.language).booking.slotTaken(
      why,
      offers.map((slot) => spokenOffer(slot, request.language)),
    ),
  };
}

export async function bookAppointment(context: AppContext, request: BookRequest): Promise<BookAnswer> {
  const client = context.clients.get(request.clientId);
  if (!client) throw new Error(`Unknown client ${request.clientId}`);
  const config = client.config;
  const zone = config.timezone;
  const language = request.language ?? 'en';
  const say = phrasesFor(language).booking;
  const spoken = (ms: number) => spokenTime(ms, zone, language);
  const type = resolveAppointmentType(config, request.appointmentType);
  if (!type) {
    return { ok: false, reason: 'unknown_appointment_type', message: say.unknownType(appointmentTypeNames(config, language)) };
  }
  const reading = readStart(request.start, zone);
  if (!reading) {
    return { ok: false, reason: 'invalid_start', message: say.invalidStart };
  }
  if (reading.kind === 'nonexistent') {
    return {
      ok: false,
      reason: 'nonexistent_time',
      message: say.nonexistentStart(spoken(reading.next)),
    };
  }
  if (reading.kind === 'ambiguous') {
    return {
      ok: false,
      reason: 'ambiguous_time',
      alternatives: reading.options.map((ms) => ({ start: isoInZone(ms, zone), end: isoInZone(ms + type.durationMinutes * 60_000, zone), spoken: spoken(ms) })),
      message: say.ambiguousStart(reading.options.map(spoken)),
    };
  }
  const startMs = reading.ms;
  const phone = normalisePhone(request.phone) ?? normalisePhone(request.callerNumber);
  if (!phone) return { ok: false, reason: 'missing_phone', message: say.missingPhone };

  // An office with staff: the person asked for, or everyone who takes the type (`staff` undefined: one calendar).
  const people = candidatesFor(config, type.id, appointmentTypeWords(config, type.id, language).name, request.staff, language);
  if (!people.ok) return { ok: false, reason: people.reason, message: people.message };

  const now = context.clock.now();
  const free = (rules: SlotRules) =>
    isSlotFree(rules, { nowMs: now.getTime(), durationMinutes: type.durationMinutes, bufferMinutes: type.bufferMinutes, busy: [] }, startMs);
  const working = people.staff?.filter((person) => free(slotRulesOfStaff(config, person)));
  if (working ? working.length === 0 : !free(slotRulesOf(config))) {
    const offers = await alternatives(context, request, type, startMs).catch(() => []);
    return {
      ok: false,
      reason: 'not_bookable',
      alternatives: offers,
      message: say.notBookable(
        spoken(startMs),
        offers.map((slot) => spokenOffer(slot, request.language)),
      ),
    };
  }

  const key = request.callId ? `${request.clientId}:${request.callId}:${new Date(startMs).toISOString()}:${type.id}` : undefined;
  const claimMs = request.claimMs ?? config.booking.functionBudgetMs;
  /** This call already has an appointment of this slot (a repeat, or a request that gave up): answer with it. */
  const resume = async (found: AppointmentRow): Promise<BookAnswer | undefined> => {
    const settled = await settleExisting(context, found, claimMs, request.signal);
    if (settled === 'booked') return repeatAnswer(context, config, type, (await findByKey(context, key!))!, language);
    const appointment = settled === 'claimed' ? await findByKey(context, key!) : undefined;
    if (!appointment) return undefined;
    request.onHeld?.(appointment.id);
    return finishBooking(context, request, config, type, appointment);
  };

  // One calendar: one try. With staff: each free person in the office's assignment order, until one holds.
  const order: Array<StaffMember | undefined> = working ? assignmentOrder(config, working, await upcomingLoad(context.db, request.clientId, now)) : [undefined];
  const blockEndMs = startMs + (type.durationMinutes + type.bufferMinutes) * 60_000;
  /** `ownKey`: the key to look for this call's own appointment by (not again once it was found gone). */
  const tryFrom = async (index: number, ownKey: string | undefined): Promise<BookAnswer> => {
    const person = order[index];
    const hasNext = index + 1 < order.length;
    const lost = () => (hasNext ? tryFrom(index + 1, ownKey) : slotTaken(context, request, type, startMs, say.justTaken(spoken(startMs))));
    let look: { ours?: AppointmentRow; held?: AppointmentRow };
    try {
      // This call's own appointment and a slot someone already holds are answered from one read; the hold transaction
      // still decides every race. Both on one pooled connection (PostgreSQL), so a try waits for the pool once, and
      // a refused one holds it for one read.
      look = await timed('book:hold', () =>
        context.db.connection().execute(async (db) => {
          const seen = await timed('book:precheck', () =>
            lookBeforeHold(db, { clientId: request.clientId, startMs, blockEndMs, now, staffId: person?.id, idempotencyKey: ownKey }),
          );
          if (seen.ours) return { ours: seen.ours };
          if (seen.taken) return {};
          const held = await db.transaction().execute(async (trx) => {
            await sweepExpiredHolds(trx, request.clientId, startMs, blockEndMs, now);
            const customer = await findOrCreateCustomer(trx, context.clock, request.clientId, phone, {
              name: request.name || null,
              email: request.email ?? null,
            });
            const row = await trx
              .insertInto('appointments')
              .values({
                booking_id: newBookingId(),
                client_id: request.clientId,
                customer_id: customer.id,
                call_id: request.callId ?? null,
                appointment_type: type.id,
                start_at: new Date(startMs),
                end_at: new Date(startMs + type.durationMinutes * 60_000),
                block_end_at: new Date(blockEndMs),
                status: 'held',
                idempotency_key: key ?? null,
                hold_expires_at: new Date(now.getTime() + config.booking.holdSeconds * 1000),
                claimed_until: new Date(now.getTime() + claimMs),
                caller_name: request.name || null,
                caller_phone: phone,
                caller_email: request.email ?? null,
                notes: request.notes ?? null,
                ...(person ? { staff_id: person.id, calendar_id: person.calendarId } : {}),
                created_at: now,
                updated_at: now,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
            await insertLocks(trx, request.clientId, row.id, startMs, blockEndMs, person?.id);
            return row;
          });
          return { held };
        }),
      );
    } catch (error) {
      if (key && isUniqueViolation(error, 'idempotency_key')) {
        // The same call asked twice at once: the other request owns the booking; answer with its result.
        return bookAppointment(context, request);
      }
      if (isUniqueViolation(error)) {
        // This person's time (or the office's) was just held by someone else: the next free person, if any.
        return lost();
      }
      throw error;
    }
    if (look.ours) return (await resume(look.ours)) ?? tryFrom(index, undefined);
    const held = look.held;
    if (!held) return lost();
    request.onHeld?.(held.id);
    return finishBooking(context, request, config, type, held, hasNext ? () => tryFrom(index + 1, ownKey) : undefined);
  };
  return tryFrom(0, key);
}

/**
 * The caller is about to be told the calendar could not be reached (the function's deadline closed its commit gate,
 * so this request's booking can no longer commit), or a booking's commit failed. The database decides what is true,
 * under the appointment's row lock: if the appointment is booked after all (a commit whose answer was lost, or an
 * earlier request of the call), that is the answer; if it is still held, the hold is released now. The event the
 * booking made in the calendar is settled by `settleLateEvent` (removed, or kept and confirmed, as the office
 * chose) as soon as the create answers, and a check queued with the release looks for an event that lands without
 * an answer.
 */
export async function settleAfterDeadline(
  context: AppContext,
  clientId: string,
  appointmentId: number,
  language: Language = 'en',
): Promise<BookAnswer | undefined> {
  const config = context.clients.get(clientId)!.config;
  const now = context.clock.now();
  const booked = await context.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('appointments').selectAll().where('id', '=', appointmentId).forNoKeyUpdate().executeTakeFirst();
    if (!row) return undefined;
    if (row.status === 'booked') return row;
    if (row.status === 'held') {
      await releaseLocks(trx, row.id);
      await trx
        .updateTable('appointments')
        .set({ status: 'released', idempotency_key: null, claimed_until: null, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await enqueueLateEventCheck(trx, context, row);
    }
    return undefined;
  });
  if (!booked) return undefined;
  const type = resolveAppointmentType(config, booked.appointment_type);
  return type ? repeatAnswer(context, config, type, booked, language) : undefined;
}

async function findByKey(context: AppContext, key: string): Promise<AppointmentRow | undefined> {
  return context.db.selectFrom('appointments').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/**
 * An appointment with our key exists. Booked: replay. Held and owned by a request still working on it: wait
 * for that request. Held and unowned (its request died or timed out): take it over.
 */
async function settleExisting(
  context: AppContext,
  appointment: AppointmentRow,
  claimMs: number,
  signal: AbortSignal | undefined,
): Promise<'booked' | 'claimed' | 'gone'> {
  for (;;) {
    const row = await context.db.selectFrom('appointments').selectAll().where('id', '=', appointment.id).executeTakeFirst();
    if (!row || row.status === 'cancelled' || row.status === 'released') return 'gone';
    if (row.status === 'booked') return 'booked';
    const now = context.clock.now();
    const claimed = await context.db
      .updateTable('appointments')
      .set({
        claimed_until: new Date(now.getTime() + claimMs),
        hold_expires_at: new Date(Math.max(now.getTime() + 60_000, new Date(row.hold_expires_at ?? now).getTime())),
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'held')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 1) return 'claimed';
    if (signal?.aborted)
      throw new VendorError({ vendor: 'switchboard', code: 'aborted', message: 'Gave up waiting for the first booking attempt.', retryable: true });
    await delay(25);
  }
}

function repeatAnswer(context: AppContext, config: ClientConfig, type: AppointmentType, row: AppointmentRow, language: Language): BookAnswer {
  const startMs = new Date(row.start_at).getTime();
  return {
    ok: true,
    repeated: true,
    booking_id: row.booking_id,
    appointment_id: row.id,
    start: isoInZone(startMs, config.timezone),
    spoken: spokenTime(startMs, config.timezone, language),
    message: bookedMessage(config, type, startMs, language, staffById(config, row.staff_id)?.name),
    ...staffFields(config, row),
  };
}

async function releaseHold(context: AppContext, appointmentId: number): Promise<void> {
  const now = context.clock.now();
  await context.db.transaction().execute(async (trx) => {
    await releaseLocks(trx, appointmentId);
    await trx
      .updateTable('appointments')
      .set({ status: 'released', idempotency_key: null, claimed_until: null, updated_at: now })
      .where('id', '=', appointmentId)
      .where('status', '=', 'held')
      .execute();
  });
}

async function finishBooking(
  context: AppContext,
  request: BookRequest,
  config: ClientConfig,
  type: AppointmentType,
  appointment: AppointmentRow,
  /** An office with staff: when this person's calendar turns out busy, try the next person instead of giving up. */
  nextPerson?: () => Promise<BookAnswer>,
): Promise<BookAnswer> {
  const calendar = calendarPortForAppointment(context, appointment);
  const zone = config.timezone;
  const startMs = new Date(appointment.start_at).getTime();
  const endMs = new Date(appointment.end_at).getTime();
  const blockEndMs = new Date(appointment.block_end_at).getTime();
  const findOurs = (events: CalendarEvent[]) => events.find((event) => hasBookingMarker(event.description, appointment.booking_id));

  // Re-check right before creating: someone may have put something in Zoho since the caller heard the slot.
  const view = await timed('book:recheck', () => calendar.view(request.clientId, startMs, blockEndMs, request.signal));
  let event = findOurs(view.events);
  if (!event) {
    if (view.busy.some((busy) => busy.startMs < blockEndMs && busy.endMs > startMs)) {
      await timed('book:release', () => releaseHold(context, appointment.id));
      if (nextPerson) return nextPerson();
      return slotTaken(context, request, type, startMs, phrasesFor(request.language).booking.noLongerFree(spokenTime(startMs, zone, request.language)));
    }
    // Past the caller's deadline nothing new goes to Zoho (the hold is being released).
    if (request.signal?.aborted) {
      await clearClaim(context, appointment.id);
      throw new VendorError({
        vendor: 'switchboard',
        code: 'aborted',
        message: `Booking ${appointment.booking_id} gave up before creating its event.`,
        retryable: true,
      });
    }
    const newEvent = {
      title: `${type.name}: ${appointment.caller_name ?? 'caller'}`,
      description: eventDescription(context, appointment, type),
      timezone: zone,
      startMs,
      endMs,
      location: config.address,
      attendeeEmail: appointment.caller_email ?? undefined,
    };
    // Once sent, the create is not cut off at the caller's deadline: its answer is what tells us an event exists,
    // so a late answer settles that event at once (`settleLateEvent`) instead of leaving it in the office calendar
    // until the reconcile job. Zoho's per-request time-out bounds the wait.
    try {
      event = await timed('book:create', () => calendar.create(request.clientId, newEvent));
    } catch (error) {
      const unanswered = error instanceof VendorError && error.status === undefined && error.code !== 'aborted';
      if (!unanswered) {
        if (error instanceof VendorError && !error.retryable) await releaseHold(context, appointment.id);
        else await clearClaim(context, appointment.id);
        throw error;
      }
      // No answer: Zoho may have made the event anyway. Look for our booking id before anything else.
      const again = await calendar.view(request.clientId, startMs, blockEndMs).catch(() => undefined);
      event = again ? findOurs(again.events) : undefined;
      if (!event) {
        await clearClaim(context, appointment.id);
        throw error;
      }
    }
  }

  // The follow-ups are written first and the status flips last, so the appointment's row lock is held only
  // for the commit: a caller's deadline (`settleAfterDeadline`) never waits behind this transaction's work. If
  // the hold is no longer ours by then, or the caller was already given the fallback (the gate is closed),
  // everything here rolls back.
  let gateClosed = false;
  const booked = await timed('book:commit', () =>
    context.db
      .transaction()
      .execute(async (trx) => {
        const now = context.clock.now();
        await planBookedFollowUps(trx, context, appointment);
        const row = await trx
          .updateTable('appointments')
          .set(bookedColumns(event, now))
          .where('id', '=', appointment.id)
          .where('status', '=', 'held')
          .returningAll()
          .executeTakeFirst();
        if (!row) throw new HoldLost();
        // Last, with the row lock held and nothing left but COMMIT: from here on the caller hears this booking.
        if (request.gate && !request.gate.enter()) {
          gateClosed = true;
          throw new HoldLost();
        }
        return row;
      })
      .catch((error: unknown) => {
        if (error instanceof HoldLost) return undefined;
        throw error;
      }),
  );
  if (!booked) {
    // The caller was given the fallback while this commit waited for its turn: the hold goes now, as the deadline's
    // own settle step would (whichever of the two gets the row first releases it), and the event it made is late.
    if (gateClosed) await settleAfterDeadline(context, request.clientId, appointment.id, request.language);
    // Or another request finished it first (the repeat path): answer with that booking.
    const row = await context.db.selectFrom('appointments').selectAll().where('id', '=', appointment.id).executeTakeFirstOrThrow();
    if (row.status === 'booked') return repeatAnswer(context, config, type, row, request.language ?? 'en');
    if (row.status === 'released' && row.calendar_event_id === null) {
      // Released while the event was being made (the caller was told we would call back): the office's choice.
      const settled = await settleLateEvent(context, row.id, event);
      if (settled === 'kept') {
        return repeatAnswer(
          context,
          config,
          type,
          await context.db.selectFrom('appointments').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow(),
          request.language ?? 'en',
        );
      }
    }
    throw new VendorError({
      vendor: 'switchboard',
      code: 'aborted',
      message: `Appointment ${appointment.booking_id} was ${row.status} while its event was being created.`,
      retryable: true,
    });
  }
  context.logger.info({ clientId: booked.client_id, bookingId: booked.booking_id, part: partOfDayOf(startMs, zone) }, 'Appointment booked');
  return {
    ok: true,
    booking_id: booked.booking_id,
    appointment_id: booked.id,
    start: isoInZone(startMs, zone),
    spoken: spokenTime(startMs, zone, request.language),
    message: bookedMessage(config, type, startMs, request.language, staffById(config, booked.staff_id)?.name),
    ...staffFields(config, booked),
  };
}

/**
 * Rolls the booking transaction back when the hold stopped being ours (released at a deadline, or booked by a
 * repeat), or when the caller was given the fallback first.
 */
class HoldLost extends Error {
  constructor() {
    super('the hold is no longer ours');
    this.name = 'HoldLost';
  }
}

async function clearClaim(context: AppContext, appointmentId: number): Promise<void> {
  await context.db.updateTable('appointments').set({ claimed_until: null }).where('id', '=', appointmentId).where('status', '=', 'held').execute();
}
