/** What a booking sets off, written in the transaction that makes it `booked`: texts and e-mails, the CRM sync, the live event. */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { enqueueCrmSync } from '../crm/enqueue.js';
import type { DB } from '../db/schema.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { planAppointmentMessages } from '../messaging/plan.js';

export async function planBookedFollowUps(trx: Kysely<DB>, context: AppContext, appointment: AppointmentRow): Promise<void> {
  if (appointment.customer_id !== null) {
    await planAppointmentMessages(trx, context, {
      clientId: appointment.client_id,
      appointmentId: appointment.id,
      customerId: appointment.customer_id,
      event: 'booked',
      callId: appointment.call_id,
    });
  }
  await enqueueCrmSync(trx, context, {
    clientId: appointment.client_id,
    purpose: 'appointment_booked',
    appointmentId: appointment.id,
    callId: appointment.call_id,
    customerId: appointment.customer_id,
  });
  await context.bus.publish(
    { type: 'appointment.changed', clientId: appointment.client_id, data: { appointmentId: appointment.id, change: 'booked', callId: appointment.call_id } },
    trx,
  );
}
