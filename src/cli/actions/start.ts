/** What `switchboard start` does (defined in ../start.ts): serve until SIGINT/SIGTERM, then close cleanly. */
import { startSwitchboard } from '../../main.js';
import { startBanner } from '../banner.js';
import type { CliIo } from '../commands.js';
import { ensureWebBuilt } from '../web-build.js';

export async function start(io: CliIo, options: { port?: string }): Promise<void> {
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
}
