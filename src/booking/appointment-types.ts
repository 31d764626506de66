/** Finding the appointment type a caller or the agent named: by id, by name (in any language the office has), or the office's default. */
import type { AppointmentType, ClientConfig } from '../config/client-schema.js';
import type { Language } from '../i18n/phrases/index.js';
import { appointmentTypeWords } from '../messaging/render.js';

function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The type's names: its own and every translation's. */
function namesOf(config: ClientConfig, type: AppointmentType): string[] {
  const translated = Object.values(config.translations).flatMap((translation) => translation?.appointmentTypes[type.id]?.name ?? []);
  return [type.name, ...translated].map(normalise);
}

/** Undefined when a name was given and matches nothing (the agent should ask again). */
export function resolveAppointmentType(config: ClientConfig, wanted: string | undefined): AppointmentType | undefined {
  const types = config.appointmentTypes;
  if (!wanted || !wanted.trim()) return types.find((type) => type.default) ?? types[0];
  const key = normalise(wanted);
  return (
    types.find((type) => type.id === wanted.trim()) ??
    types.find((type) => normalise(type.id) === key || namesOf(config, type).includes(key)) ??
    types.find((type) => namesOf(config, type).some((name) => name.includes(key) || key.includes(name)))
  );
}

export function appointmentTypeNames(config: ClientConfig, language?: Language): string {
  return config.appointmentTypes.map((type) => (language ? appointmentTypeWords(config, type.id, language).name : type.name)).join(', ');
}
