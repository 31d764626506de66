/**
 * What the analytics SQL needs to know of each office, from its configuration: zone, weekly hours, closures
 * and special hours (for "after hours") and the value of each appointment type. Passed to the database as one
 * JSON parameter, with the moments each office's rows are read between.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOfDay, type ClientConfig, type TimeRange } from '../config/client-schema.js';
import type { ClientRegistry } from '../config/registry.js';

export interface OfficeWindow {
  client_id: string;
  zone: string;
  hours: {
    /** Monday … Sunday, each a list of [openMinute, closeMinute). */
    weekly: number[][][];
    /** [from, to] local dates, inclusive: no hours at all. */
    closures: string[][];
    special: Record<string, number[][]>;
  };
  type_values: Record<string, number>;
  /** ISO instants: the rows dated in [from_at, to_at). */
  from_at: string;
  to_at: string;
}

const ranges = (list: TimeRange[]) => list.map((range) => [minutesOfDay(range.open), minutesOfDay(range.close)]);

export function officeZone(registry: ClientRegistry, clientId: string): string {
  return registry.get(clientId)?.config.timezone ?? 'UTC';
}

export function officeWindow(registry: ClientRegistry, clientId: string, from: Date, to: Date): OfficeWindow {
  const config: ClientConfig | undefined = registry.get(clientId)?.config;
  return {
    client_id: clientId,
    zone: config?.timezone ?? 'UTC',
    hours: {
      weekly: config ? WEEKDAYS.map((day) => ranges(config.businessHours[day])) : WEEKDAYS.map(() => []),
      closures: config ? config.closures.map((closure) => [closure.from, closure.to]) : [],
      special: config ? Object.fromEntries(Object.entries(config.specialHours).map(([date, list]) => [date, ranges(list)])) : {},
    },
    type_values: config ? Object.fromEntries(config.appointmentTypes.filter((type) => type.value !== undefined).map((type) => [type.id, type.value!])) : {},
    from_at: from.toISOString(),
    to_at: to.toISOString(),
  };
}

/** The moments an office's local days [fromDay, toDay] (inclusive, 'YYYY-MM-DD') start and end. */
export function dayRangeMoments(zone: string, fromDay: string, toDay: string): { from: Date; to: Date } {
  return {
    from: DateTime.fromISO(fromDay, { zone }).startOf('day').toJSDate(),
    to: DateTime.fromISO(toDay, { zone }).plus({ days: 1 }).startOf('day').toJSDate(),
  };
}
