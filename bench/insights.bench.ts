/**
 * Time to classify one call (issue 17): a 5 KB transcript of alternating agent and caller turns in English and
 * Spanish, wall time per `classifyCall`, p50 and p99 over 2,000 runs after a warm-up. Target p99 ≤ 2 ms.
 * `node bin/run-ts.js bench/run.ts insights` runs only this.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { classifyCall } from '../src/insights/classify.js';
import type { BenchResult } from './types.js';

const LINES = [
  ['agent', 'Thanks for calling Smart Tax Nation. Our premium package is on sale; are you worried about an audit?'],
  ['user', "Hi, I got a letter from the IRS and I'm not sure what it means. It says I have to respond by Friday."],
  ['agent', 'I understand. Would you like to book an appointment, or cancel or reschedule one you have?'],
  ['user', "I'd like to come in this week if possible. How much does it cost? Money's a bit tight right now."],
  ['agent', 'A basic return starts at 149 dollars and the first consultation is free.'],
  ['user', 'Okay. Mi esposa también quiere saber qué documentos tenemos que llevar exactamente, paso por paso.'],
] as const;

export function transcriptOf(bytes: number): { transcript_object: Array<{ role: string; content: string }> } {
  const items: Array<{ role: string; content: string }> = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const [role, content] = LINES[i % LINES.length]!;
    items.push({ role, content });
    size += content.length + 10;
  }
  return { transcript_object: items };
}

export async function run(): Promise<BenchResult[]> {
  const call = transcriptOf(5_000);
  for (let i = 0; i < 200; i++) classifyCall(call);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const before = performance.now();
    const cpuBefore = process.cpuUsage();
    classifyCall(call);
    const used = process.cpuUsage(cpuBefore);
    times.push(performance.now() - before);
    cpu.push((used.user + used.system) / 1000);
  }
  const percentile = (values: number[], at: number) => [...values].sort((a, b) => a - b)[Math.floor(values.length * at)]!;
  const p99 = percentile(times, 0.99);
  const cpuP99 = percentile(cpu, 0.99);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  // On a shared, overloaded machine wall time measures the scheduler; CPU time per call is reported beside it.
  return [
    {
      name: 'insights: classify 5 KB transcript p99 (wall)',
      value: round(p99),
      unit: 'ms',
      target: '<= 2 ms',
      ok: p99 <= 2,
      notes: `p50 ${percentile(times, 0.5).toFixed(3)} ms, 2000 runs, load ${os.loadavg()[0]!.toFixed(1)}`,
    },
    // process.cpuUsage() counts every thread of the process, so a run that overlaps V8's parallel GC or JIT threads
    // is charged their time too (CPU p99 above wall p99 on a quiet machine); the target is the wall figure.
    {
      name: 'insights: classify 5 KB transcript p99 (process CPU, all threads)',
      value: round(cpuP99),
      unit: 'ms',
      notes: `p50 ${percentile(cpu, 0.5).toFixed(3)} ms; informational: includes GC/JIT helper threads`,
    },
  ];
}
