/** Finding the appointment type a caller or the agent named: by id, by name, or the office's default. */
import type { AppointmentType, ClientConfig } from '../config/client-schema.js';

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Undefined when a name was given and matches nothing (the agent should ask again). */
export function resolveAppointmentType(config: ClientConfig, wanted: string | undefined): AppointmentType | undefined {
  const types = config.appointmentTypes;
  if (!wanted || !wanted.trim()) return types.find((type) => type.default) ?? types[0];
  const key = normalise(wanted);
  return (
    types.find((type) => type.id === wanted.trim()) ??
    types.find((type) => normalise(type.id) === key || normalise(type.name) === key) ??
    types.find((type) => normalise(type.name).includes(key) || key.includes(normalise(type.name)))
  );
}

export function appointmentTypeNames(config: ClientConfig): string {
  return config.appointmentTypes.map((type) => type.name).join(', ');
}
