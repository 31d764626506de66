/**
 * The `rebook_offer` outbox handler: a missed appointment (marked no-show, or still unmarked N hours after its end)
 * gets a rebook text and e-mail naming the next open slots. The slots come from the booking availability code (the
 * calendar and our own bookings), which is why this runs as its own row after the marking transaction rather than
 * inside it. Safe to repeat: the messages have dedupe keys, and a mark changed in between plans nothing (an offer the
 * sweep planned for an unmarked appointment still goes when staff mark it no-show meanwhile: the miss is confirmed).
 * The slots are written in the message's language, like every other date in it.
 */
import type { AppContext } from '../app-context.js';
import { checkAvailability } from '../booking/availability.js';
import type { OutboxRow } from '../db/schema.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { afterAppointmentSubject, appointmentTypeName } from './plan-follow-ups.js';
import { planOne, reachableChannels } from './plan.js';
import { openSlotsText } from './render.js';

export function rebookOfferHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    keepFinished: true,
    async run(row: OutboxRow) {
      const appointmentId = Number(row.payload.appointmentId);
      const sweptUnmarked = row.payload.mark === 'unmarked';
      const stillMissed = (attendance: string | null) => attendance === 'no_show' || (sweptUnmarked && attendance === null);
      const client = context.clients.get(row.client_id);
      if (!client) return { planned: 0, reason: 'office no longer configured' };
      const config = client.config;
      const before = await context.db
        .selectFrom('appointments')
        .select(['appointment_type', 'status', 'attendance'])
        .where('id', '=', appointmentId)
        .executeTakeFirst();
      if (!before || before.status !== 'booked' || !stillMissed(before.attendance)) return { planned: 0, reason: 'the mark changed' };
      const answer = await checkAvailability(context, { clientId: row.client_id, appointmentType: before.appointment_type });
      const starts = (answer.slots.length > 0 ? answer.slots : (answer.nearest_open_days ?? []).map((day) => day.first_slot))
        .slice(0, config.followUps.afterAppointment.rebookSlots)
        .map((slot) => new Date(slot.start));
      return context.db.transaction().execute(async (trx) => {
        const appointment = await trx
          .selectFrom('appointments')
          .select(['customer_id', 'start_at', 'appointment_type', 'caller_phone', 'caller_email', 'caller_name', 'call_id', 'status', 'attendance'])
          .where('id', '=', appointmentId)
          .forUpdate()
          .executeTakeFirst();
        if (!appointment || appointment.status !== 'booked' || !stillMissed(appointment.attendance)) return { planned: 0, reason: 'the mark changed' };
        const subject = await afterAppointmentSubject(trx, config, appointment);
        const channels = await reachableChannels(trx, row.client_id, subject, 'marketing');
        let planned = 0;
        for (const channel of channels) {
          if (channel === 'email' && !config.templates.email.rebook) continue;
          await planOne(trx, context, subject, {
            clientId: row.client_id,
            customerId: appointment.customer_id,
            callId: appointment.call_id,
            appointmentId,
            channel,
            template: 'rebook',
            sequence: 'after_appointment',
            purpose: 'marketing',
            dueAt: context.clock.now(),
            extras: (language) => ({
              appointment_type: appointmentTypeName(config, appointment.appointment_type),
              open_slots: openSlotsText(config, starts, language),
            }),
            dedupeKey: `msg:${row.client_id}:appointment:${appointmentId}:rebook:${channel}:${appointment.start_at.toISOString()}`,
          });
          planned += 1;
        }
        return { planned, openSlots: starts.length };
      });
    },
  };
}
