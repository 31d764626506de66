/**
 * What `switchboard client …` does (the definitions are in ../client.ts): offices as data from the command line.
 * `list` shows every office served with the URLs to give Retell; `import` reads JSON files into new versions;
 * `export` writes the version in force back as JSON (never secrets: a config only names environment variables,
 * stored credentials stay sealed).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importOfficeFiles, officeFiles } from '../../offices/import-files.js';
import { loadOfficeDocuments } from '../../offices/store.js';
import type { CliIo } from '../commands.js';
import { cliActor, withOffices } from '../offices-db.js';

export async function listClients(io: CliIo): Promise<void> {
  await withOffices(async ({ env, clients }) => {
    for (const { config, version } of clients.all()) {
      io.print(`${config.slug}  ${config.name}  (version ${version ?? '-'})`);
      io.print(`  zone ${config.timezone}, office phone ${config.officePhone}, agents ${config.retell.agentIds.join(', ')}`);
      io.print(`  Retell webhook:  ${env.publicBaseUrl}/v1/retell/${config.slug}/webhook`);
      io.print(`  Retell inbound:  ${env.publicBaseUrl}/v1/retell/${config.slug}/inbound`);
      io.print(`  Retell functions: ${env.publicBaseUrl}/v1/retell/${config.slug}/functions`);
    }
    for (const broken of clients.broken()) {
      io.print(`${broken.slug}  BROKEN`);
      for (const problem of broken.problems) io.print(`  ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
    }
    if (clients.all().length === 0 && clients.broken().length === 0) io.print('No offices yet: `switchboard client import <file>` or the dashboard.');
  });
}

export async function importClients(io: CliIo, path: string, options: { force?: boolean }): Promise<void> {
  const files = officeFiles(resolve(path));
  if (files.length === 0) {
    io.print(`No office files (*.json) at ${path}.`);
    process.exitCode = 2;
    return;
  }
  await withOffices(async ({ database, clock }) => {
    const results = await importOfficeFiles({ db: database.db, clock }, files, { author: cliActor(), force: options.force });
    for (const result of results) {
      if (result.status === 'imported') io.print(`${result.file}: ${result.created ? 'added' : 'updated'} ${result.slug}, version ${result.version}`);
      else if (result.status === 'unchanged') io.print(`${result.file}: ${result.slug} unchanged`);
      else {
        io.print(`${result.file}: not imported`);
        for (const problem of result.problems) io.print(`  ${result.file}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
        process.exitCode = 1;
      }
    }
  });
}

export async function exportClient(io: CliIo, slug: string, options: { out?: string }): Promise<void> {
  await withOffices(async ({ database }) => {
    const [office] = await loadOfficeDocuments(database.db, slug);
    if (!office) {
      io.print(`No office "${slug}".`);
      process.exitCode = 2;
      return;
    }
    const text = `${JSON.stringify(office.document, null, 2)}\n`;
    if (options.out) {
      writeFileSync(options.out, text);
      io.print(`Wrote ${slug} version ${office.version} to ${options.out}.`);
    } else {
      io.print(text.trimEnd());
    }
  });
}
