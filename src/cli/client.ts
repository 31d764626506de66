/**
 * `switchboard client …`: offices as data from the command line (add, list, import, export, retell-tools). The work is in
 * actions/client.ts, loaded when a subcommand runs.
 */
import type { CliCommand } from './commands.js';

export const clientCommand: CliCommand = (program, io) => {
  const client = program.command('client').description('Offices (clients): add, list, import, export, retell-tools.');
  client
    .command('add')
    .description("Onboard a new office with the wizard's steps, from a file of answers (re-running it changes nothing twice).")
    .requiredOption('--answers <file>', 'JSON: { "basics": {…}, "pack": {…}, "calendar": {…}, "texting": {…}, "email": {…}, "alerts": {…}, "retell": {…} }')
    .action(async (options) => (await import('./actions/client.js')).addClient(io, options));

  client
    .command('retell-tools')
    .description("Print the office's Retell custom tools (JSON schemas from the function router) and a prompt snippet, for configuring Retell by hand.")
    .argument('<slug>', 'the office, e.g. smart-tax-nation')
    .action(async (slug) => (await import('./actions/client.js')).printRetellTools(io, slug));

  client
    .command('list')
    .description('List the offices with their zone, agents and the URLs to give Retell.')
    .action(async () => (await import('./actions/client.js')).listClients(io));

  client
    .command('import')
    .description('Import office files (one file or a folder of *.json) as new versions; unchanged files are skipped.')
    .argument('<path>', 'a <slug>.json file or a folder of them')
    .option('--force', 'import even a file whose text has not changed since its last import')
    .action(async (path, options) => (await import('./actions/client.js')).importClients(io, path, options));

  client
    .command('export')
    .description('Print (or write) the version in force of an office as JSON, ready to import elsewhere.')
    .argument('<slug>', 'the office, e.g. smart-tax-nation')
    .option('--out <file>', 'write to this file instead of printing')
    .action(async (slug, options) => (await import('./actions/client.js')).exportClient(io, slug, options));
};
