/**
 * The CrmPort contract against HubSpot: the HubSpot module's port (official SDK pointed at the emulator through
 * `basePath`), for an office whose document chooses `"crm": { "provider": "hubspot" }`.
 */
import { readFileSync } from 'node:fs';
import { clientConfigSchema } from '../../src/config/client-schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { hubSpotCrmPort } from '../../src/hubspot/crm-port.js';
import { startHubSpotEmulator } from '../../src/sandbox/hubspot/index.js';
import { describeCrmPortContract, type HeldLead } from './crm-port.contract.js';

const TOKEN = 'pat-na1-contract-test-token';

export function aHubSpotOffice() {
  const document = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')) as Record<string, unknown>;
  return clientConfigSchema.parse({ ...document, crm: { provider: 'hubspot' } });
}

describeCrmPortContract(
  'HubSpot',
  async () => {
    const clock = new ManualClock('2026-02-02T15:00:00Z');
    const hubspot = await startHubSpotEmulator({ accessTokens: [TOKEN], clock });
    const config = aHubSpotOffice();
    const port = hubSpotCrmPort({ clientId: config.slug, config: () => config, accessToken: TOKEN, basePath: hubspot.url, clock, timeoutMs: 5_000 });
    const text = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
    return {
      subject: {
        port,
        leads: () =>
          hubspot.contactList().map(({ id, properties }): HeldLead => ({
            id,
            phone: text(properties.phone),
            mobile: text(properties.mobilephone),
            email: text(properties.email),
            firstName: text(properties.firstname),
            lastName: text(properties.lastname),
            status: text(properties.hs_lead_status),
          })),
        notes: (leadId) => hubspot.notes(leadId).map((note) => ({ id: note.id, content: note.body })),
        async addLeadByHand(lead) {
          return hubspot.addContactByHand({
            lastname: lead.lastName,
            ...(lead.phone ? { phone: lead.phone } : {}),
            ...(lead.mobile ? { mobilephone: lead.mobile } : {}),
            ...(lead.email ? { email: lead.email } : {}),
          });
        },
        deleteLeadByHand: (id) => void hubspot.deleteContact(id),
        setSearchLagMs: (ms) => void (hubspot.searchLagMs = ms),
        loseNextCreateAnswer: (what) => hubspot.dropNextAnswer(what === 'lead' ? 'contact' : 'note'),
        rateLimitNext: () => hubspot.rateLimit(1),
        killCredentials: () => hubspot.revokeToken(),
        advance: (ms) => clock.advance(ms),
        async reset() {
          hubspot.reset();
          hubspot.acceptToken(TOKEN);
        },
      },
      close: () => hubspot.close(),
    };
  },
  { statuses: { first: 'CONNECTED', second: 'OPEN_DEAL' }, renewsAccessTokens: false },
);
