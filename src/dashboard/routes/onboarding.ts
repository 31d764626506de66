/**
 * What the onboarding wizard and the template editor read: the template packs per trade, the opening-hours
 * presets, a time zone proposed from an address or phone number, and a live preview of a template on sample
 * data with its SMS segment count. Nothing here changes anything; every route needs a signed-in user, and a
 * preview for an office answers 404 outside the user's scope.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { ClientConfig } from '../../config/client-schema.js';
import { TEMPLATE_KINDS } from '../../config/templates.js';
import { previewTemplate } from '../../messaging/preview.js';
import { unsubscribeUrl } from '../../messaging/unsubscribe-token.js';
import { HOURS_PRESETS, HOURS_PRESET_IDS } from '../../offices/hours-presets.js';
import { PACK_ID, listPacks, loadPack, sampleOffice } from '../../offices/packs.js';
import { proposeTimezone } from '../../offices/timezone-proposal.js';
import { currentUser, notFound, parseInput, requireClient } from '../http.js';

const packId = z.string().regex(PACK_ID, 'must be a template pack id such as "dental"');

const previewBody = z
  .object({
    client: z.string().min(1).optional(),
    /** Without `client`: the sample office with this pack's appointment types (the wizard, before the office exists). */
    pack: packId.optional(),
    channel: z.enum(['sms', 'email']),
    kind: z.enum(TEMPLATE_KINDS),
    text: z.string().max(10_000, 'must be at most 10,000 characters'),
    subject: z.string().max(1000, 'must be at most 1,000 characters').optional(),
    html: z.string().max(100_000, 'must be at most 100,000 characters').optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag like "en" or "es-US"')
      .optional(),
  })
  .refine((body) => body.channel === 'email' || (body.subject === undefined && body.html === undefined), {
    message: 'a text message has no subject or html; send those for e-mail only',
    path: ['channel'],
  });

const timezoneBody = z
  .object({ address: z.string().max(500).optional(), phone: z.string().max(40).optional() })
  .refine((body) => Boolean(body.address?.trim() || body.phone?.trim()), { message: 'give an address, a phone number, or both', path: ['address'] });

export function onboardingRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/packs', async (request) => {
    currentUser(request);
    return {
      packs: listPacks().map((pack) => ({
        id: pack.id,
        name: pack.name,
        description: pack.description,
        hoursPreset: pack.hoursPreset,
        appointmentTypes: pack.office.appointmentTypes.map((type) => type.name),
      })),
    };
  });

  app.get('/v1/api/packs/:id', async (request) => {
    currentUser(request);
    const { id } = parseInput(z.object({ id: packId }), request.params);
    const pack = loadPack(id);
    if (!pack) throw notFound('That template pack');
    return { ...pack, businessHours: HOURS_PRESETS[pack.hoursPreset].businessHours };
  });

  app.get('/v1/api/hours-presets', async (request) => {
    currentUser(request);
    return { presets: HOURS_PRESET_IDS.map((id) => ({ id, ...HOURS_PRESETS[id] })) };
  });

  app.post('/v1/api/timezone-proposal', async (request) => {
    currentUser(request);
    const input = parseInput(timezoneBody, request.body);
    return proposeTimezone({ address: input.address?.trim() || undefined, phone: input.phone?.trim() || undefined });
  });

  app.post('/v1/api/templates/preview', async (request) => {
    const user = currentUser(request);
    const input = parseInput(previewBody, request.body);
    let office: ClientConfig | undefined;
    if (input.client) {
      office = context.clients.get(requireClient(user, input.client))?.config;
      if (!office) throw notFound('That office');
    } else {
      office = sampleOffice(input.pack);
      if (!office) throw notFound('That template pack');
    }
    // A link of the real shape and length; its token opens nothing.
    const unsubscribeLink = unsubscribeUrl(context.publicBaseUrl, 'preview');
    return previewTemplate(office, input, { now: context.clock.now(), unsubscribeLink });
  });
}
