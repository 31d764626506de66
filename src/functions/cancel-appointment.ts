/** cancel_appointment: cancels the caller's appointment (the calendar follows through the outbox). */
import { z } from 'zod';
import { cancelAppointment } from '../booking/manage.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  booking_id: z.string().trim().max(40).optional().describe('the booking id from find_appointment, when the caller has several'),
  phone: z.string().trim().max(40).optional().describe('the number the appointment was booked under, if not the calling number'),
  reason: z.string().trim().max(500).optional().describe('why the caller cancels'),
});

export const cancelAppointmentFunction: RetellFunction<typeof args> = {
  name: 'cancel_appointment',
  description: "Cancels the caller's upcoming appointment. Use find_appointment first when the caller may have several.",
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input }) {
    const answer = await cancelAppointment(context, {
      clientId: client.config.slug,
      callId: call.callId,
      bookingId: input.booking_id,
      phone: input.phone,
      callerNumber: call.fromNumber,
      actor: 'caller',
      language: call.language,
    });
    return { ...answer };
  },
};
