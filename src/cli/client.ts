import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { loadClientConfigs } from '../config/load-clients.js';
import type { CliCommand } from './commands.js';

export const clientCommand: CliCommand = (program, io) => {
  const client = program.command('client').description('Client (office) configurations in CONFIG_DIR.');
  client
    .command('list')
    .description('List the configured clients with their zone, agents and the URLs to give Retell.')
    .action(() => {
      const env = loadEnv(process.env);
      const configs = loadClientConfigs({ dir: resolve(env.configDir), mode: env.mode, env: process.env });
      for (const config of configs) {
        io.print(`${config.slug}  ${config.name}`);
        io.print(`  zone ${config.timezone}, office phone ${config.officePhone}, agents ${config.retell.agentIds.join(', ')}`);
        io.print(`  Retell webhook:  ${env.publicBaseUrl}/v1/retell/${config.slug}/webhook`);
        io.print(`  Retell inbound:  ${env.publicBaseUrl}/v1/retell/${config.slug}/inbound`);
        io.print(`  Retell functions: ${env.publicBaseUrl}/v1/retell/${config.slug}/functions`);
      }
    });
};
