import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CliIo } from './commands.js';

/** The dashboard is static files built by Vite; build them on the first start of a fresh checkout. */
export async function ensureWebBuilt(io: CliIo): Promise<void> {
  if (process.env.SWITCHBOARD_SKIP_WEB_BUILD === '1') return;
  const webDir = resolve('web');
  if (!existsSync(resolve(webDir, 'index.html')) || existsSync(resolve(webDir, 'dist', 'index.html'))) return;
  io.print('Building the dashboard (first start only)…');
  const result = spawnSync(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', webDir, '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) io.print('The dashboard build failed; the API still runs. Run `npm run build:web` to see why.');
}
