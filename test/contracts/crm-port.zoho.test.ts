/** The CrmPort contract against Zoho CRM: the Zoho module's port, on a whole app in demo mode with the Zoho emulator. */
import { CLIENT, aCrmWorld, connectZoho, resetWorld } from '../crm/support.js';
import { describeCrmPortContract, type HeldLead } from './crm-port.contract.js';

describeCrmPortContract(
  'Zoho CRM',
  async () => {
    const world = await aCrmWorld('pglite');
    const context = world.switchboard.context;
    const zoho = world.zoho;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return {
      subject: {
        port: context.crms.portFor(CLIENT),
        leads: () =>
          zoho.leads().map((lead): HeldLead => ({
            id: lead.id,
            phone: text(lead.Phone),
            mobile: text(lead.Mobile),
            email: text(lead.Email),
            firstName: text(lead.First_Name),
            lastName: text(lead.Last_Name),
            status: text(lead.Lead_Status),
          })),
        notes: (leadId) => zoho.notes(leadId).map((note) => ({ id: note.id, content: note.Note_Content })),
        async addLeadByHand(lead) {
          const { accessToken } = zoho.issueTokens();
          const record = {
            Last_Name: lead.lastName,
            ...(lead.phone ? { Phone: lead.phone } : {}),
            ...(lead.mobile ? { Mobile: lead.mobile } : {}),
            ...(lead.email ? { Email: lead.email } : {}),
          };
          const response = await fetch(`${zoho.crmApiUrl}/Leads`, {
            method: 'POST',
            headers: { authorization: `Zoho-oauthtoken ${accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ data: [record] }),
          });
          const body = (await response.json()) as { data: Array<{ details: { id: string } }> };
          return body.data[0]!.details.id;
        },
        deleteLeadByHand: (id) => void zoho.state.leads.delete(id),
        setSearchLagMs: (ms) => zoho.setSearchLagMs(ms),
        loseNextCreateAnswer: (what) =>
          zoho.emulator.faults.timeoutAfterCommit(1, { match: what === 'lead' ? '/crm/v8/Leads/upsert' : '/crm/v8/Notes', method: 'POST', hangMs: 20 }),
        rateLimitNext: () => zoho.crmRateLimit(1),
        killCredentials: () => zoho.revokeAll(),
        expireAccessToken: () => zoho.expireAccessTokens(),
        advance: (ms) => world.clock.advance(ms),
        async reset() {
          await resetWorld(world);
          zoho.setSearchLagMs(0);
          await context.db.deleteFrom('oauth_connections').execute();
          context.zohoTokens.cache.clear();
          await connectZoho(world.switchboard, zoho);
        },
      },
      async close() {
        await world.switchboard.close();
        await world.database.dispose();
      },
    };
  },
  { statuses: { first: 'Contacted', second: 'Pre-Qualified' }, renewsAccessTokens: true },
);
