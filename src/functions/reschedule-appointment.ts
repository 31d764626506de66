/** reschedule_appointment: moves the caller's appointment to a new start from the availability check. */
import { z } from 'zod';
import { withCalendarFallback } from '../booking/fallback.js';
import { rescheduleAppointment, settleRescheduleAfterDeadline } from '../booking/manage.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  new_start: z.string().trim().min(10).max(40).describe('the new start time exactly as check_calendar_availability gave it'),
  booking_id: z.string().trim().max(40).optional().describe('the booking id from find_appointment, when the caller has several'),
  phone: z.string().trim().max(40).optional().describe('the number the appointment was booked under, if not the calling number'),
  staff: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('only when the caller wants a different person: the staff_id or name (otherwise the appointment keeps its person)'),
});

export const rescheduleAppointmentFunction: RetellFunction<typeof args> = {
  name: 'reschedule_appointment',
  description: "Moves the caller's upcoming appointment to a new time. Use find_appointment first when the caller may have several.",
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input, signal, gate }) {
    const clientId = client.config.slug;
    let move: { appointmentId: number; newStartMs: number } | undefined;
    return withCalendarFallback(
      {
        context,
        clientId,
        call,
        signal,
        gate,
        budgetMs: client.config.booking.functionBudgetMs,
        wanted: `move their appointment to ${input.new_start}`,
        functionName: 'reschedule_appointment',
      },
      async (budgetSignal) => ({
        ...(await rescheduleAppointment(context, {
          clientId,
          callId: call.callId,
          bookingId: input.booking_id,
          phone: input.phone,
          callerNumber: call.fromNumber,
          newStart: input.new_start,
          signal: budgetSignal,
          gate,
          language: call.language,
          staff: input.staff,
          onMove: (appointmentId, newStartMs) => (move = { appointmentId, newStartMs }),
        })),
      }),
      // Past the deadline the gate is closed, so the move cannot commit any more; after a failed commit the database
      // decides: moved already (say so), or not.
      async () => {
        const settled = move && (await settleRescheduleAfterDeadline(context, clientId, move.appointmentId, move.newStartMs, call.language));
        return settled ? { ...settled } : undefined;
      },
    );
  },
};
