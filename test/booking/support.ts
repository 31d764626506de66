/** Builders for booking tests: the whole app in demo mode on a test database, with its Zoho emulator. */
import { readFileSync } from 'node:fs';
import { TEST_PASSWORD_COST, testEnv } from '../support/app.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/db/database.js';
import type { FeatureModule } from '../../src/app-context.js';
import { startSwitchboard, type Switchboard } from '../../src/main.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';

export const CLIENT = 'smart-tax-nation';
export const CALENDAR = 'stn-appointments';
export const CALLER = '+12125550123';
/** Monday, February 2, 2026, 9:00 AM in New York. */
export const MONDAY_9AM = '2026-02-02T14:00:00Z';

/** The Smart Tax Nation config with overrides (e.g. a shorter function budget). */
export function configDir(booking: Record<string, unknown> = {}): string {
  const base = JSON.parse(readFileSync(new URL('../../config/clients/smart-tax-nation.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  return aConfigDir({ 'smart-tax-nation': { ...base, booking: { ...(base.booking as object), ...booking } } });
}

export interface BookingApp {
  switchboard: Switchboard;
  clock: ManualClock;
}

export async function startBookingApp(
  database: Database,
  options: { clock?: ManualClock; configDir?: string; modules?: FeatureModule[] } = {},
): Promise<BookingApp> {
  const clock = options.clock ?? new ManualClock(MONDAY_9AM);
  const switchboard = await startSwitchboard({
    database,
    clock,
    passwordCost: TEST_PASSWORD_COST,
    env: {
      ...testEnv,
      CONFIG_DIR: options.configDir ?? configDir(),
      SWITCHBOARD_SECRET_KEY: DEMO_SECRETS.SWITCHBOARD_SECRET_KEY,
    },
    worker: false,
    ...(options.modules ? { modules: options.modules } : {}),
  });
  return { switchboard, clock };
}

export function zohoOf(app: BookingApp) {
  return app.switchboard.context.sandbox!.zoho;
}

let sequence = 0;
export function aCallId(): string {
  sequence += 1;
  return `call_booking_${Date.now().toString(36)}_${sequence}`;
}

/** Calls a Retell function over HTTP, signed with retell-sdk exactly as Retell signs. */
export async function callFunction(app: BookingApp, name: string, args: Record<string, unknown>, callId = aCallId(), from = CALLER) {
  const body = JSON.stringify({
    name,
    args,
    call: {
      call_id: callId,
      agent_id: 'agent_stn_demo_0001',
      call_type: 'phone_call',
      direction: 'inbound',
      from_number: from,
      to_number: '+12125550199',
      call_status: 'ongoing',
    },
  });
  const response = await fetch(`${app.switchboard.url}/v1/retell/${CLIENT}/functions/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
