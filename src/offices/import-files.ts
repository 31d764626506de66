/**
 * `config/clients/*.json` as an import format. At every start, a file whose text changed since it was last
 * imported becomes a new version of its office (author "file import"); an unchanged file is left alone, so
 * an edit made in the dashboard since is kept. Which one wins is therefore simply the newer change.
 * `switchboard client import` imports the same way on request (`--force` imports even an unchanged file).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ConfigProblem } from '../config/client-schema.js';
import { parseClientConfig } from '../config/load-clients.js';
import { lastImportedHashes, saveOfficeVersion, type OfficeStoreDeps } from './store.js';

export type FileImportResult =
  | { file: string; status: 'imported'; slug: string; version: number; created: boolean }
  | { file: string; status: 'unchanged'; slug: string }
  | { file: string; status: 'invalid'; slug?: string; problems: ConfigProblem[] };

/** The `*.json` files of a folder (sorted), or the one file named. A missing folder is no offices to import. */
export function officeFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (stat.isFile()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name));
}

export async function importOfficeFiles(deps: OfficeStoreDeps, paths: string[], options: { author: string; force?: boolean }): Promise<FileImportResult[]> {
  const known = options.force ? new Map<string, string>() : await lastImportedHashes(deps.db);
  const results: FileImportResult[] = [];
  for (const path of paths) {
    const file = basename(path);
    const text = readFileSync(path, 'utf8');
    const hash = createHash('sha256').update(text).digest('hex');
    const parsed = parseClientConfig(file, text);
    const slug = parsed.config?.slug;
    if (parsed.problems.length > 0 || !parsed.config) {
      results.push({ file, status: 'invalid', ...(slug ? { slug } : {}), problems: parsed.problems });
      continue;
    }
    if (known.get(parsed.config.slug) === hash) {
      results.push({ file, status: 'unchanged', slug: parsed.config.slug });
      continue;
    }
    const saved = await saveOfficeVersion(deps, {
      document: JSON.parse(text) as Record<string, unknown>,
      author: options.author,
      source: 'file',
      sourceFile: file,
      sourceHash: hash,
    });
    if (!saved.ok) {
      const problems = saved.reason === 'invalid' ? saved.problems : [{ file, path: '', message: 'changed while importing; try again' }];
      results.push({ file, status: 'invalid', slug: parsed.config.slug, problems });
    } else if (saved.unchanged) {
      // Same content as the version in force (e.g. exported and re-imported): nothing new, but remember the file.
      results.push({ file, status: 'unchanged', slug: saved.slug });
    } else {
      results.push({ file, status: 'imported', slug: saved.slug, version: saved.version, created: saved.created });
    }
  }
  return results;
}
