/**
 * get_transfer_target: the number the agent should transfer the caller to right now (front desk in office
 * hours, an urgent line after hours, …), or an honest "nobody can take it now" so the agent offers a callback.
 */
import { z } from 'zod';
import { transferTargets } from '../calls/transfer.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  urgent: z.boolean().optional().describe('true when the caller says it is urgent (a deadline today, an emergency)'),
  reason: z.string().trim().max(500).optional().describe('why the caller wants a person'),
});

export const getTransferTarget: RetellFunction<typeof args> = {
  name: 'get_transfer_target',
  description: 'Tells who can take a transfer now (number and name), depending on office hours and urgency; if nobody can, offer a callback.',
  args,
  safeToRepeat: true,
  async handle({ context, client, call, args: input }) {
    const say = phrasesFor(call.language).functions;
    const targets = transferTargets(client.config, context.clock.now());
    const band = input.urgent ? targets.urgent : targets.normal;
    if (!band) {
      return {
        ok: false,
        message: say.noTransfer(client.config.name),
      };
    }
    return { ok: true, transfer_number: band.number, transfer_name: band.name, message: say.transferTo(band.name, band.number) };
  },
};
