/** What `switchboard insights classify|eval` does (defined in ../insights.ts). No database, no server. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { classifyCall, type ClassifiableCall } from '../../insights/classify.js';
import { formatScores, score, type LabelledCall } from '../../insights/evaluate.js';
import type { CliIo } from '../commands.js';

function readCall(text: string, source: string): ClassifiableCall & Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON (${(error as Error).message}). Give one Retell call object.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${source} must hold one JSON object (a Retell call).`);
  // A webhook body ({event, call}) is accepted as well as the bare call object.
  const body = parsed as Record<string, unknown>;
  const call = typeof body.call === 'object' && body.call !== null ? (body.call as Record<string, unknown>) : body;
  if (!Array.isArray(call.transcript_object) && typeof call.transcript !== 'string') {
    throw new Error(`${source} has neither transcript_object nor transcript.`);
  }
  return call;
}

export async function classifyFile(io: CliIo, file?: string): Promise<void> {
  const source = !file || file === '-' ? 'stdin' : file;
  const text = source === 'stdin' ? readFileSync(0, 'utf8') : readFileSync(file!, 'utf8');
  io.print(JSON.stringify(classifyCall(readCall(text, source))));
}

export async function evaluateFolder(io: CliIo, dir: string, options: { json?: boolean; mistakes?: boolean }): Promise<void> {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`${dir} holds no *.json labelled calls.`);
  const calls: LabelledCall[] = files.map((name) => {
    const call = readCall(readFileSync(join(dir, name), 'utf8'), name);
    if (typeof call.expected !== 'object' || call.expected === null) throw new Error(`${name} has no "expected" labels.`);
    return { name, predicted: classifyCall(call), expected: call.expected as LabelledCall['expected'] };
  });
  const scores = score(calls);
  if (options.json) {
    io.print(JSON.stringify(scores, null, 2));
    return;
  }
  io.print(formatScores(scores));
  if (options.mistakes) for (const m of scores.mistakes) io.print(`${m.name}\t${m.label}\texpected ${m.expected}\tgot ${m.predicted}`);
}
