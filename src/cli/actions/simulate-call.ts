/** What `switchboard simulate-call` does (defined in ../simulate-call.ts). */
import { DEMO_SECRETS } from '../../config/demo-secrets.js';
import { loadEnv } from '../../config/env.js';
import { SCENARIOS, fetchSimulatedOffice, simulateCall, type Scenario, type SimulatedOffice } from '../../sandbox/call-simulator.js';
import type { CliIo } from '../commands.js';

export interface SimulateCallOptions {
  client: string;
  from: string;
  scenario: string;
  url?: string;
  duplicate?: boolean;
  reorder?: boolean;
  delay: string;
  apiKey?: string;
  email?: string;
}

export async function playSimulatedCall(io: CliIo, options: SimulateCallOptions): Promise<void> {
  if (!(SCENARIOS as readonly string[]).includes(options.scenario)) {
    io.print(`Unknown scenario "${options.scenario}". Choose one of: ${SCENARIOS.join(', ')}.`);
    process.exitCode = 2;
    return;
  }
  const env = loadEnv(process.env);
  const baseUrl = options.url ?? env.publicBaseUrl;
  const apiKey = options.apiKey ?? (process.env.RETELL_API_KEY?.trim() || DEMO_SECRETS.RETELL_API_KEY);
  // The running server knows every office, including ones added in the dashboard a moment ago.
  let office: SimulatedOffice;
  try {
    office = await fetchSimulatedOffice(baseUrl, options.client, apiKey);
  } catch (error) {
    io.print(`Could not get office "${options.client}" from ${baseUrl}: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const result = await simulateCall({
    baseUrl,
    client: options.client,
    from: options.from,
    scenario: options.scenario as Scenario,
    apiKey,
    office,
    ...(options.email ? { callerEmail: options.email } : {}),
    duplicate: options.duplicate,
    reorder: options.reorder,
    delayMs: Number(options.delay) || 0,
  });
  io.print(`Simulated call ${result.callId} (${options.scenario})`);
  for (const step of result.steps) io.print(`  ${step.status}  ${step.kind.padEnd(8)} ${step.name}`);
  // What the agent would say back, so a demo user sees the booking (and, in a per-staff office, with whom).
  const booked = result.steps.find((step) => step.name === 'book_appointment')?.body as { ok?: unknown; message?: unknown } | undefined;
  if (booked?.ok === true && typeof booked.message === 'string') io.print(`Booked: ${booked.message}`);
  if (result.problems.length > 0) {
    io.print('Problems:');
    for (const problem of result.problems) io.print(`  ${problem}`);
  }
}
