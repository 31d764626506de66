/** `switchboard zoho connect|import-refresh-token --client …`; the work is in actions/zoho.ts. */
import type { CliCommand } from './commands.js';

export const zohoCommand: CliCommand = (program, io) => {
  const zoho = program.command('zoho').description('Zoho connections (Calendar and CRM) per client.');

  zoho
    .command('connect')
    .description('Print a link (valid one hour) that connects the client to Zoho in a browser.')
    .requiredOption('--client <slug>', 'client slug, e.g. smart-tax-nation')
    .action(async (options) => (await import('./actions/zoho.js')).connectZoho(io, options));

  zoho
    .command('import-refresh-token')
    .description("Store a refresh token made in Zoho's API console (Self Client). Reads it from --token or stdin.")
    .requiredOption('--client <slug>', 'client slug, e.g. smart-tax-nation')
    .requiredOption('--dc <code>', 'Zoho data center: us, eu, in, au, jp, ca, sa or cn')
    .option('--token <refresh-token>', 'the refresh token (prefer stdin: it keeps the token out of shell history)')
    .action(async (options) => (await import('./actions/zoho.js')).importZohoRefreshToken(io, options));
};
