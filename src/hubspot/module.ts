/**
 * The HubSpot module: offers HubSpot as a CRM provider (`context.crms.register('hubspot', …)`) for offices whose
 * document says `"crm": { "provider": "hubspot" }`. The credential is a private app's access token, sealed like every
 * office secret; in demo mode (or SANDBOX=1 without a token) the SDK is pointed at the HubSpot emulator. Readiness
 * (`hubspot-crm:<slug>`) comes from the CRM module's connection check, which calls this port's `checkConnection`.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { perOffice, preloadForOffices } from '../offices/per-office.js';
import { loadHubSpotSdk } from '../providers/hubspot/crm.js';
import { HUBSPOT_PROVIDER_NAME, hubSpotCrmPort } from './crm-port.js';

export function hubSpotPortFor(context: AppContext, clientId: string) {
  const runtime = context.clients.get(clientId);
  const emulated = runtime?.secrets.emulatedVendors.includes('hubspot') && context.sandbox;
  return hubSpotCrmPort({
    clientId,
    config: () => {
      const current = context.clients.get(clientId);
      if (!current) throw new Error(`Unknown client ${clientId}`);
      return current.config;
    },
    accessToken: runtime?.secrets.hubspotAccessToken,
    basePath: emulated ? context.sandbox!.hubspot.url : undefined,
    clock: context.clock,
  });
}

export const hubspotModule: FeatureModule = {
  name: 'hubspot',
  async setUp(context) {
    context.crms.register(HUBSPOT_PROVIDER_NAME, (clientId) => hubSpotPortFor(context, clientId));
    // An office that keeps its leads in HubSpot looks its callers up there during calls.
    await preloadForOffices(context, ({ config }) => config.crm.provider === HUBSPOT_PROVIDER_NAME, loadHubSpotSdk, 'HubSpot');
    // Demo: the emulated portal has the contact properties the office maps its facts to, as the real one must.
    const sandbox = context.sandbox;
    if (sandbox) {
      await perOffice(context, ({ config, secrets }) => {
        if (config.crm.provider !== HUBSPOT_PROVIDER_NAME || !secrets.emulatedVendors.includes('hubspot')) return;
        sandbox.hubspot.ensureProperties(Object.values(config.hubspot?.propertyMap ?? {}).filter((name): name is string => Boolean(name)));
      });
    }
  },
};
