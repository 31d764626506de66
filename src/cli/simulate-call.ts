import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { loadClientConfigs } from '../config/load-clients.js';
import { resolveClientSecrets } from '../config/secrets.js';
import { SCENARIOS, simulateCall, type Scenario } from '../sandbox/call-simulator.js';
import type { CliCommand } from './commands.js';

export const simulateCallCommand: CliCommand = (program, io) => {
  program
    .command('simulate-call')
    .description('Play a realistic, signed Retell call against a running Switchboard.')
    .requiredOption('--client <slug>', 'the office, e.g. smart-tax-nation')
    .requiredOption('--from <e164>', 'caller number, e.g. +12125550123')
    .option('--scenario <name>', `one of ${SCENARIOS.join(', ')}`, 'new-caller-books')
    .option('--url <url>', 'server base URL (default PUBLIC_BASE_URL)')
    .option('--duplicate', 'send every webhook event twice')
    .option('--reorder', 'send call_analyzed before call_ended before call_started')
    .option('--delay <ms>', 'pause between steps', '0')
    .action(async (options: { client: string; from: string; scenario: string; url?: string; duplicate?: boolean; reorder?: boolean; delay: string }) => {
      if (!(SCENARIOS as readonly string[]).includes(options.scenario)) {
        io.print(`Unknown scenario "${options.scenario}". Choose one of: ${SCENARIOS.join(', ')}.`);
        process.exitCode = 2;
        return;
      }
      const env = loadEnv(process.env);
      const config = loadClientConfigs({ dir: resolve(env.configDir), mode: env.mode, env: process.env }).find((c) => c.slug === options.client);
      if (!config) {
        io.print(`No office "${options.client}" in ${env.configDir}.`);
        process.exitCode = 2;
        return;
      }
      const secrets = resolveClientSecrets(config, process.env, env.mode);
      if (env.mode === 'live' && secrets.emulatedVendors.includes('retell')) {
        // A live server keeps an emulated Retell on a key only that process knows (never the public demo key).
        io.print('Retell is emulated in live mode (SANDBOX=1) with a key only the running server knows, so this command cannot sign for it. Simulate calls in demo mode, or set the real RETELL_API_KEY.');
        process.exitCode = 2;
        return;
      }
      const result = await simulateCall({
        baseUrl: options.url ?? env.publicBaseUrl,
        client: options.client,
        from: options.from,
        scenario: options.scenario as Scenario,
        apiKey: secrets.retellApiKey,
        agentId: config.retell.agentIds[0],
        toNumber: config.officePhone,
        duplicate: options.duplicate,
        reorder: options.reorder,
        delayMs: Number(options.delay) || 0,
      });
      io.print(`Simulated call ${result.callId} (${options.scenario})`);
      for (const step of result.steps) io.print(`  ${step.status}  ${step.kind.padEnd(8)} ${step.name}`);
      if (result.problems.length > 0) {
        io.print('Problems:');
        for (const problem of result.problems) io.print(`  ${problem}`);
      }
    });
};
