/**
 * `npm run bench`: runs every bench/*.bench.ts (each exports `run(): Promise<BenchResult[]>`), prints one
 * table and writes bench/results/latest.json. Benchmarks use loopback only, bounded counts and durations.
 * `npm run bench -- outbox` runs only files whose name contains "outbox".
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => !filter || file.includes(filter))
  .sort();

const results: Array<BenchResult & { file: string }> = [];
const failures: Array<{ file: string; error: string }> = [];
for (const file of files) {
  process.stderr.write(`bench: ${file}…\n`);
  try {
    const module = (await import(pathToFileURL(join(here, file)).href)) as { run(): Promise<BenchResult[]> };
    for (const result of await module.run()) results.push({ ...result, file });
  } catch (error) {
    failures.push({ file, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.stderr.write(`bench: ${file} failed: ${String(error)}\n`);
  }
}

const rows = results.map((result) => [
  result.name,
  result.backend ?? '',
  Number.isInteger(result.value) ? String(result.value) : result.value.toFixed(result.value < 10 ? 3 : 1),
  result.unit,
  result.target ?? '',
  result.ok === undefined ? '' : result.ok ? 'ok' : 'MISSED',
  result.notes ?? '',
]);
const header = ['benchmark', 'db', 'value', 'unit', 'target', 'result', 'notes'];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (cells: string[]) =>
  cells
    .map((cell, column) => cell.padEnd(widths[column]!))
    .join('  ')
    .trimEnd();
process.stdout.write(`\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
for (const row of rows) process.stdout.write(`${line(row)}\n`);
for (const failure of failures) process.stdout.write(`\nFAILED ${failure.file}: ${failure.error.split('\n')[0]}\n`);

const out = join(here, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'latest.json'),
  JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, results, failures }, null, 2),
);
process.stdout.write(`\nWrote bench/results/latest.json\n`);
process.exit(failures.length > 0 ? 1 : 0);
