import { SCENARIOS } from '../sandbox/call-scenarios.js';
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
    .option('--email <address>', 'the caller gives this e-mail address (the confirmation then also goes by e-mail)')
    .option('--api-key <key>', "the office's Retell API key (default: RETELL_API_KEY, else the public demo key)")
    .action(async (options) => (await import('./actions/simulate-call.js')).playSimulatedCall(io, options));
};
