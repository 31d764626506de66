/** check_calendar_availability: open slots near what the caller asked for, in the office's zone. */
import { z } from 'zod';
import { checkAvailability } from '../booking/availability.js';
import { withCalendarFallback } from '../booking/fallback.js';
import { readSpokenClock } from '../booking/spoken-clock.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { RetellFunction } from './types.js';

const date = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD');

const args = z.object({
  date: date.optional().describe('the day the caller wants (YYYY-MM-DD)'),
  day: date.optional().describe('same as date'),
  start_date: date.optional().describe('first day of a range (YYYY-MM-DD)'),
  end_date: date.optional().describe('last day of a range (YYYY-MM-DD)'),
  part_of_day: z.enum(['morning', 'afternoon', 'evening']).optional().describe('morning, afternoon or evening'),
  time: z.string().trim().max(20).optional().describe('a preferred time such as "2:30 PM" or "14:30"'),
  appointment_type: z.string().trim().max(100).optional().describe('the kind of appointment'),
  staff: z.string().trim().min(1).max(100).optional().describe('the person the caller wants to see, by name, if they asked for someone'),
});

export const checkCalendarAvailability: RetellFunction<typeof args> = {
  name: 'check_calendar_availability',
  description:
    'Finds open appointment times. Pass a date, a date range, or a loose preference (day + part_of_day, optional time) and optionally the appointment type. Answers with up to a few slots (ISO start + spoken form) or the nearest open days. Where the office has several people, each slot names who it is with (staff_id, staff_name): pass that staff_id to book_appointment.',
  args,
  safeToRepeat: true,
  async handle({ context, client, call, args: input, signal, gate }) {
    const clientId = client.config.slug;
    const time = input.time ? readSpokenClock(input.time) : undefined;
    if (input.time && !time) return { ok: false, message: phrasesFor(call.language).availability.timeNotUnderstood(input.time) };
    return withCalendarFallback(
      {
        context,
        clientId,
        call,
        signal,
        gate,
        budgetMs: client.config.booking.functionBudgetMs,
        wanted: 'check open appointment times',
        functionName: 'check_calendar_availability',
      },
      async (budgetSignal) => {
        const answer = await checkAvailability(context, {
          clientId,
          date: input.date ?? input.day,
          startDate: input.start_date,
          endDate: input.end_date,
          partOfDay: input.part_of_day,
          time,
          appointmentType: input.appointment_type,
          signal: budgetSignal,
          language: call.language,
          staff: input.staff,
        });
        return { ...answer };
      },
    );
  },
};
