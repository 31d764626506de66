import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { loadClientConfigs } from '../config/load-clients.js';
import { databaseChecks } from '../http/health.js';
import { silentLogger } from '../log/logger.js';
import { startSwitchboard } from '../main.js';
import type { CliCommand } from './commands.js';

interface Finding {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export const doctorCommand: CliCommand = (program, io) => {
  program
    .command('doctor')
    .description('Check configuration, environment, database and every vendor connection, and say how to fix what is wrong.')
    .action(async () => {
      const findings: Finding[] = [];
      let env;
      try {
        env = loadEnv(process.env);
        findings.push({ name: 'environment', ok: true, detail: `mode ${env.mode}` });
      } catch (error) {
        findings.push({ name: 'environment', ok: false, detail: (error as Error).message, fix: 'Compare your variables with .env.example.' });
      }
      if (env) {
        try {
          const configs = loadClientConfigs({ dir: resolve(env.configDir), mode: env.mode, env: process.env });
          findings.push({ name: 'client configs', ok: true, detail: configs.map((config) => config.slug).join(', ') });
        } catch (error) {
          findings.push({ name: 'client configs', ok: false, detail: (error as Error).message, fix: `Edit the files in ${env.configDir}.` });
        }
      }
      if (findings.every((finding) => finding.ok)) {
        try {
          const switchboard = await startSwitchboard({ listen: false, worker: false, logger: silentLogger() });
          try {
            const checks = [...databaseChecks(switchboard.context), ...switchboard.context.health];
            for (const check of checks) {
              const result = await check.check().catch((error: Error) => ({ status: 'down' as const, detail: error.message }));
              findings.push({
                name: check.name,
                ok: result.status === 'ok',
                detail: `${result.status}${result.detail ? `: ${result.detail}` : ''}`,
              });
            }
          } finally {
            await switchboard.close();
          }
        } catch (error) {
          findings.push({
            name: 'database',
            ok: false,
            detail: (error as Error).message,
            fix: 'Check DATABASE_URL (or DATA_DIR), and that no other process uses the embedded database.',
          });
        }
      }
      for (const finding of findings) {
        io.print(`${finding.ok ? 'ok  ' : 'FAIL'}  ${finding.name}: ${finding.detail}`);
        if (!finding.ok && finding.fix) io.print(`      fix: ${finding.fix}`);
      }
      const failed = findings.filter((finding) => !finding.ok).length;
      io.print(failed === 0 ? '\nAll checks passed.' : `\n${failed} check(s) need attention.`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
};
