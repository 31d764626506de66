/**
 * Template packs: one file per trade under config/packs/ (tax preparation, dental, …), each the trade-specific
 * half of an office document — appointment types with what to bring, every text and e-mail template, quiet
 * hours, nurture timing, booking rules — plus the opening-hours preset it suggests. The onboarding wizard
 * applies a pack to the basics it asked for (name, phone, address, senders, Retell agent, calendar) and gets
 * a whole office document, which then goes through the same validation as any other version.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, zodProblems, type ClientConfig, type ClientConfigInput } from '../config/client-schema.js';
import { HOURS_PRESET_IDS, hoursFromPreset, isHoursPresetId, type HoursPresetId } from './hours-presets.js';
import { validateOfficeDocument } from './validate.js';

export { HOURS_PRESETS, HOURS_PRESET_IDS, hoursFromPreset, type HoursPresetId } from './hours-presets.js';
export { proposeTimezone, type TimezoneProposal } from './timezone-proposal.js';

export const PACKS_DIR = fileURLToPath(new URL('../../config/packs/', import.meta.url));

/** The parts of an office document a pack provides; everything else is the office's own. */
export type PackOffice = Pick<ClientConfigInput, 'appointmentTypes' | 'templates'> &
  Partial<Pick<ClientConfigInput, 'language' | 'booking' | 'quietHours' | 'nurture' | 'translations'>>;

export interface Pack {
  id: string;
  name: string;
  description: string;
  hoursPreset: HoursPresetId;
  office: PackOffice;
}

/** What the wizard's first step collects; `businessHours` (or else `hoursPreset`, else the pack's preset) sets the hours. */
export type OfficeBasics = Pick<
  ClientConfigInput,
  'slug' | 'name' | 'timezone' | 'officePhone' | 'officeEmail' | 'address' | 'adminEmails' | 'senders' | 'retell' | 'zoho'
> &
  Partial<Pick<ClientConfigInput, 'language' | 'businessHours' | 'closures' | 'specialHours'>> & { hoursPreset?: HoursPresetId };

export const PACK_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

// The frame of a pack file; its `office` part is checked for real by applying it to sample basics (below).
const packFile = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  hoursPreset: z.string().refine(isHoursPresetId, `must be one of ${HOURS_PRESET_IDS.join(', ')}`),
  office: z.strictObject({
    language: z.unknown().optional(),
    appointmentTypes: z.unknown(),
    booking: z.unknown().optional(),
    templates: z.unknown(),
    quietHours: z.unknown().optional(),
    nurture: z.unknown().optional(),
    translations: z.unknown().optional(),
  }),
});

/** A made-up office for checking packs and for previews that belong to no office yet. */
export const SAMPLE_OFFICE_BASICS: OfficeBasics = {
  slug: 'sample-office',
  name: 'Sample Office',
  timezone: 'America/Chicago',
  officePhone: '+12175550142',
  officeEmail: 'office@sample-office.example',
  address: '100 Main Street, Suite 200, Springfield, IL 62701',
  adminEmails: ['owner@sample-office.example'],
  senders: { sms: { from: '+12175550143' }, email: { from: 'Sample Office <office@sample-office.example>' } },
  retell: { agentIds: ['agent_sample_office'] },
  zoho: { calendarId: 'sample-office-appointments' },
};

export class PackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackError';
  }
}

const cache = new Map<string, Pack>();

/**
 * The pack `id` from `dir`, or undefined when there is none. A pack file that is not valid throws ConfigError
 * with every problem: packs ship with Switchboard, so that is a defect to fix, never a pack to offer.
 */
export function loadPack(id: string, dir = PACKS_DIR): Pack | undefined {
  if (!PACK_ID.test(id)) return undefined;
  const key = join(dir, `${id}.json`);
  const cached = cache.get(key);
  if (cached) return structuredClone(cached);
  let raw: string;
  try {
    raw = readFileSync(key, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return undefined;
  }
  const where = `config/packs/${id}.json`;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError([{ file: where, path: '', message: `is not valid JSON: ${(error as Error).message}` }], 'Template pack is invalid');
  }
  const frame = packFile.safeParse(json);
  if (!frame.success) throw new ConfigError(zodProblems(where, frame.error), 'Template pack is invalid');
  const pack: Pack = { id, ...frame.data, hoursPreset: frame.data.hoursPreset, office: frame.data.office as PackOffice };
  const check = validateOfficeDocument(applyPack(SAMPLE_OFFICE_BASICS, pack), where);
  if (!check.ok) {
    throw new ConfigError(
      check.problems.map((problem) => ({ ...problem, path: problem.path ? `office.${problem.path}` : 'office' })),
      'Template pack is invalid',
    );
  }
  cache.set(key, pack);
  return structuredClone(pack);
}

/** Every pack in `dir`, by name. */
export function listPacks(dir = PACKS_DIR): Pack[] {
  const ids = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .filter((id) => PACK_ID.test(id));
  return ids.map((id) => loadPack(id, dir)!).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A whole office document: the basics (who the office is, where, its senders, agent and calendar) over the
 * pack (what the trade books and says). The result is a document to validate and save, not yet a served config.
 */
export function applyPack(basics: OfficeBasics, pack: Pack | string): ClientConfigInput {
  const chosen = typeof pack === 'string' ? loadPack(pack) : pack;
  if (!chosen) throw new PackError(`There is no template pack "${String(pack)}".`);
  const { hoursPreset, businessHours, ...identity } = structuredClone(basics);
  const office = structuredClone(chosen.office);
  return {
    ...office,
    ...identity,
    businessHours: businessHours ?? hoursFromPreset(hoursPreset ?? chosen.hoursPreset),
  };
}

const samples = new Map<string, ClientConfig>();

/**
 * The served form of the sample office with a pack's appointment types and templates, for previews that have
 * no office of their own yet. Without a pack: a generic office with one plain "Appointment" type.
 */
export function sampleOffice(packId?: string): ClientConfig | undefined {
  const key = packId ?? '';
  const known = samples.get(key);
  if (known) return known;
  const pack = loadPack(packId ?? 'tax-preparation');
  if (!pack) return undefined;
  const document = applyPack(SAMPLE_OFFICE_BASICS, pack);
  if (!packId) {
    document.appointmentTypes = [{ id: 'appointment', name: 'Appointment', durationMinutes: 30, whatToBring: 'a photo ID and any paperwork for your visit' }];
    // The pack's translated type words name its own types, which the generic office does not have.
    document.translations = {
      es: {
        ...document.translations?.es,
        appointmentTypes: { appointment: { name: 'Cita', whatToBring: 'una identificación con foto y los papeles para su visita' } },
      },
    };
  }
  const check = validateOfficeDocument(document, 'sample office');
  if (!check.ok) throw new ConfigError(check.problems, 'The sample office is invalid');
  samples.set(key, check.config);
  return check.config;
}
