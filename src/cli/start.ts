import { startSwitchboard } from '../main.js';
import { startBanner } from './banner.js';
import type { CliCommand } from './commands.js';
import { ensureWebBuilt } from './web-build.js';

export const startCommand: CliCommand = (program, io) => {
  program
    .command('start')
    .description('Serve the webhooks, the dashboard and the outbox worker (demo mode when no credentials are configured).')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)')
    .action(async (options: { port?: string }) => {
      if (options.port) process.env.PORT = options.port;
      await ensureWebBuilt(io);
      const switchboard = await startSwitchboard();
      io.print(startBanner(switchboard, switchboard.context.startupNotes ?? []));
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        switchboard.context.logger.info({ signal }, 'Shutting down');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        await switchboard.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
};
