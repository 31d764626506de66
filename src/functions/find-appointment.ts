/** find_appointment: the caller's upcoming appointments, by the calling number or one they give. */
import { z } from 'zod';
import { findAppointments } from '../booking/manage.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  phone: z.string().trim().max(40).optional().describe('the number the appointment was booked under, if not the calling number'),
});

export const findAppointmentFunction: RetellFunction<typeof args> = {
  name: 'find_appointment',
  description: "Lists the caller's upcoming appointments (booking id, start and spoken time).",
  args,
  safeToRepeat: true,
  async handle({ context, client, call, args: input }) {
    return {
      ...(await findAppointments(context, { clientId: client.config.slug, phone: input.phone, callerNumber: call.fromNumber, language: call.language })),
    };
  },
};
