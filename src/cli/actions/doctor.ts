/** What `switchboard doctor` does (defined in ../doctor.ts): every check, with how to fix what failed. */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { parseClientConfig } from '../../config/load-clients.js';
import { databaseChecks } from '../../http/health.js';
import { silentLogger } from '../../log/logger.js';
import { startSwitchboard } from '../../main.js';
import { officeFiles } from '../../offices/import-files.js';
import type { CliIo } from '../commands.js';
import type { ClientConfig } from '../../config/client-schema.js';
import { missingTranslations } from '../../messaging/pick-template.js';

interface Finding {
  name: string;
  ok: boolean;
  /** Worth knowing, not failing: e.g. a template sent in the default language for want of a translation. */
  warn?: boolean;
  detail: string;
  fix?: string;
}

/** Each office's missing translations: such messages go out whole in the office's default language. */
function translationFinding(config: ClientConfig): Finding {
  const missing = missingTranslations(config);
  const name = `translations ${config.slug}`;
  if (missing.length === 0) return { name, ok: true, detail: 'every template translated' };
  const lines = missing.map((gap) => `${gap.language} ${gap.channel} ${gap.kind}: ${gap.detail} (sent in ${config.language} instead)`);
  return {
    name,
    ok: true,
    warn: true,
    detail: `${missing.length} missing:\n${lines.join('\n')}`,
    fix: `Add them under "translations" in the office document (dashboard: Offices → templates, side by side per language).`,
  };
}

export async function doctor(io: CliIo): Promise<void> {
  const findings: Finding[] = [];
  let env;
  try {
    env = loadEnv(process.env);
    findings.push({ name: 'environment', ok: true, detail: `mode ${env.mode}` });
  } catch (error) {
    findings.push({ name: 'environment', ok: false, detail: (error as Error).message, fix: 'Compare your variables with .env.example.' });
  }
  if (env) {
    // Office files are an import format: each must be valid to be imported (the database may hold more offices).
    const files = officeFiles(resolve(env.configDir));
    const parsed = files.map((file) => parseClientConfig(basename(file), readFileSync(file, 'utf8')));
    const problems = parsed.flatMap((result) => result.problems);
    if (problems.length === 0) {
      const slugs = parsed.map((result) => result.config?.slug).filter(Boolean);
      findings.push({ name: 'client configs', ok: true, detail: slugs.length > 0 ? slugs.join(', ') : `no files in ${env.configDir}` });
      for (const result of parsed) if (result.config) findings.push(translationFinding(result.config));
    } else {
      const lines = problems.map((p) => (p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`));
      findings.push({
        name: 'client configs',
        ok: false,
        detail: `${problems.length} problem(s):\n${lines.join('\n')}`,
        fix: `Edit the files in ${env.configDir}.`,
      });
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
    io.print(`${finding.ok ? (finding.warn ? 'warn' : 'ok  ') : 'FAIL'}  ${finding.name}: ${finding.detail}`);
    if ((!finding.ok || finding.warn) && finding.fix) io.print(`      fix: ${finding.fix}`);
  }
  const failed = findings.filter((finding) => !finding.ok).length;
  io.print(failed === 0 ? '\nAll checks passed.' : `\n${failed} check(s) need attention.`);
  process.exitCode = failed === 0 ? 0 : 1;
}
