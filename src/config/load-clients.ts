/**
 * Reads config/clients/*.json, validates every file (schema, cross-file rules, secrets for the mode)
 * and fails once with every problem listed, so an operator fixes all of them in one pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, clientConfigSchema, zodProblems, type ClientConfig, type ConfigProblem } from './client-schema.js';
import { checkClientSecrets, type EnvSource, type SwitchboardMode } from './secrets.js';

export { ConfigError, type ConfigProblem } from './client-schema.js';

export interface LoadClientConfigsOptions {
  dir: string;
  mode: SwitchboardMode;
  env?: EnvSource;
}

/** A config that failed only the slug/file-name rule is still returned, so duplicate slugs can be reported too. */
export interface ParsedClientConfig {
  config: ClientConfig | undefined;
  problems: ConfigProblem[];
}

/** Parses and validates one file's text; `file` is the file name used in problems and checked against the slug. */
export function parseClientConfig(file: string, text: string): ParsedClientConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { config: undefined, problems: [{ file, path: '', message: describeJsonError(text, error) }] };
  }
  const result = clientConfigSchema.safeParse(data);
  if (!result.success) return { config: undefined, problems: zodProblems(file, result.error) };
  const expectedSlug = file.replace(/\.json$/, '');
  if (result.data.slug !== expectedSlug) {
    const message = `is "${result.data.slug}" but the file is ${file}; the slug must equal the file name ("${expectedSlug}")`;
    return { config: result.data, problems: [{ file, path: 'slug', message }] };
  }
  return { config: result.data, problems: [] };
}

/**
 * Every client config in `dir`, validated. Throws ConfigError listing all problems across all files:
 * invalid JSON, schema violations, slug/file mismatch, duplicate slugs or Retell agent ids, and in
 * live mode missing or demo secrets (demo mode falls back to demo secrets).
 */
export function loadClientConfigs(options: LoadClientConfigsOptions): ClientConfig[] {
  const { dir, mode, env = process.env } = options;
  const problems: ConfigProblem[] = [];

  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'directory does not exist' : String(error);
    throw new ConfigError([{ file: dir, path: '', message: `cannot read client configs: ${reason}` }], 'No client configuration');
  }
  if (files.length === 0) {
    throw new ConfigError(
      [{ file: dir, path: '', message: 'no client config files (*.json) found; add one, e.g. smart-tax-nation.json' }],
      'No client configuration',
    );
  }

  const configs: { file: string; config: ClientConfig }[] = [];
  for (const file of files) {
    const parsed = parseClientConfig(file, readFileSync(join(dir, file), 'utf8'));
    problems.push(...parsed.problems);
    if (parsed.config) configs.push({ file, config: parsed.config });
  }

  problems.push(...crossFileProblems(configs));

  for (const { file, config } of configs) {
    for (const problem of checkClientSecrets(config, env, mode)) {
      problems.push({ file, path: problem.path, message: problem.message });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems, `Client configuration in ${dir} is invalid`);
  return configs.map(({ config }) => config);
}

/** Rules between files: a slug names one office, and an agent id must route to exactly one office. */
function crossFileProblems(configs: { file: string; config: ClientConfig }[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const slugOwners = new Map<string, string>();
  const agentOwners = new Map<string, string>();
  for (const { file, config } of configs) {
    const slugOwner = slugOwners.get(config.slug);
    if (slugOwner) problems.push({ file, path: 'slug', message: `duplicate slug "${config.slug}" (also in ${slugOwner})` });
    else slugOwners.set(config.slug, file);

    config.retell.agentIds.forEach((agentId, index) => {
      const agentOwner = agentOwners.get(agentId);
      if (agentOwner && agentOwner !== file) {
        problems.push({
          file,
          path: `retell.agentIds[${index}]`,
          message: `agent id ${agentId} is also used by ${agentOwner}; each agent must belong to one client`,
        });
      } else {
        agentOwners.set(agentId, file);
      }
    });
  }
  return problems;
}

/** "Unexpected token } at line 4, column 1" from V8's message, which gives a position or line/column. */
function describeJsonError(text: string, error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(raw);
  let where = '';
  if (lineColumn) {
    where = ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  } else {
    const position = /at position (\d+)/.exec(raw);
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    } else if (/Unexpected end of JSON input/.test(raw)) {
      where = ' (the file ends early)';
    }
  }
  const reason = raw
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  return `invalid JSON${where}: ${reason}`;
}
