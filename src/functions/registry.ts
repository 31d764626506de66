/**
 * Every Retell custom function Switchboard offers. Each stream adds its functions here (one import + one
 * entry); the router finds a function by its `name`.
 */
import type { RetellFunction } from './types.js';
import { optOut } from './opt-out.js';
import { requestCallback } from './request-callback.js';
import { saveCallerDetails } from './save-caller-details.js';
import { checkCalendarAvailability } from './check-calendar-availability.js';
import { bookAppointmentFunction } from './book-appointment.js';
import { rescheduleAppointmentFunction } from './reschedule-appointment.js';
import { cancelAppointmentFunction } from './cancel-appointment.js';
import { findAppointmentFunction } from './find-appointment.js';
import { getTransferTarget } from './get-transfer-target.js';

export const retellFunctions: RetellFunction[] = [
  saveCallerDetails,
  optOut,
  requestCallback,
  checkCalendarAvailability,
  bookAppointmentFunction,
  rescheduleAppointmentFunction,
  cancelAppointmentFunction,
  findAppointmentFunction,
  getTransferTarget,
];

export function findRetellFunction(name: string): RetellFunction | undefined {
  return retellFunctions.find((fn) => fn.name === name);
}
