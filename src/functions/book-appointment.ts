/** book_appointment: books a slot the availability check offered, for the caller (or the number they give). */
import { z } from 'zod';
import { bookAppointment, settleAfterDeadline } from '../booking/book.js';
import { withCalendarFallback } from '../booking/fallback.js';
import { normalizePhone } from '../customers/phone.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  start: z.string().trim().min(10).max(40).describe('the start time exactly as check_calendar_availability gave it'),
  appointment_type: z.string().trim().max(100).optional().describe('the kind of appointment'),
  name: z.string().trim().min(1).max(200).describe("the caller's full name"),
  phone: z.string().trim().max(40).optional().describe('a phone number for the appointment, if not the number they are calling from'),
  email: z.string().trim().toLowerCase().pipe(z.email('that does not look like an e-mail address')).optional().describe('e-mail address'),
  notes: z.string().trim().max(2000).optional().describe('anything the office should know'),
  staff: z.string().trim().min(1).max(100).optional().describe('the staff_id of the chosen slot, when check_calendar_availability gave one'),
});

export const bookAppointmentFunction: RetellFunction<typeof args> = {
  name: 'book_appointment',
  description: 'Books an appointment at a start time from check_calendar_availability, for the caller. Answers with a sentence to read back.',
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input, signal, gate }) {
    const clientId = client.config.slug;
    let held: number | undefined;
    return withCalendarFallback(
      {
        context,
        clientId,
        call,
        signal,
        gate,
        budgetMs: client.config.booking.functionBudgetMs,
        wanted: `book ${input.appointment_type ?? 'an appointment'} at ${input.start}`,
        callerName: input.name,
        phone: normalizePhone(input.phone) ?? call.fromNumber,
        functionName: 'book_appointment',
        appointmentId: () => held,
      },
      async (budgetSignal) => {
        const answer = await bookAppointment(context, {
          clientId,
          callId: call.callId,
          start: input.start,
          appointmentType: input.appointment_type,
          name: input.name,
          phone: input.phone,
          callerNumber: call.fromNumber,
          email: input.email,
          notes: input.notes,
          signal: budgetSignal,
          gate,
          onHeld: (appointmentId) => (held = appointmentId),
          language: call.language,
          staff: input.staff,
        });
        return { ...answer };
      },
      // Past the deadline (the gate closed, so this request's booking cannot commit any more), or after a failed
      // commit, the database decides: booked already (say so), or the hold is released now.
      async () => {
        const settled = held === undefined ? undefined : await settleAfterDeadline(context, clientId, held, call.language);
        return settled && { ...settled };
      },
    );
  },
};
