/**
 * Entry points other modules call, inside their own transaction, to plan follow-up messages through the
 * outbox. Placeholder signatures: the messaging work replaces the bodies (confirmation, 24 h / 1 h
 * reminders, rescheduled/cancelled notices, Day 1 / Day 4 nurture with quiet hours and consent).
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';

export interface AppointmentMessageInput {
  clientId: string;
  appointmentId: number;
  customerId: number;
  event: 'booked' | 'rescheduled' | 'cancelled';
  callId?: string | null;
  /** For `rescheduled`: the start before the move. */
  previousStartAt?: Date;
}

/** Booked: confirmation now + reminders (and cancels pending nurture). Rescheduled: notice + re-planned reminders. Cancelled: notice + reminders cancelled. */
export async function planAppointmentMessages(_db: Kysely<DB>, _context: AppContext, _input: AppointmentMessageInput): Promise<void> {}

export interface NurtureInput {
  clientId: string;
  customerId: number;
  callId: string;
  /** When the call ended (Day 1 / Day 4 count from here). */
  endedAt: Date;
}

/** A call ended without a booking: plan Day 1 and Day 4 nurture unless the caller opted out, was a voicemail, or booked. */
export async function planNurture(_db: Kysely<DB>, _context: AppContext, _input: NurtureInput): Promise<void> {}
