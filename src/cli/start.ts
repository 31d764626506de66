import type { CliCommand } from './commands.js';

export const startCommand: CliCommand = (program, io) => {
  program
    .command('start')
    .description('Serve the webhooks, the dashboard and the outbox worker (demo mode when no credentials are configured).')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)')
    .action(async (options) => (await import('./actions/start.js')).start(io, options));
};
