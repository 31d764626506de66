/**
 * Scoring of labelled calls (`switchboard insights eval <dir>`): per-label confusion matrices, macro-F1 for the
 * single-valued labels, `urgent` recall and precision, and micro-F1 over the needs flags. Pure: the caller reads the
 * files. Sentiment pools the start and end labels of every call into one matrix.
 */
import type { CallInsight } from './labels.js';

export interface LabelledCall {
  name: string;
  predicted: CallInsight;
  expected: {
    language: string;
    intent: string;
    urgency: string;
    sentiment: { start: string; end: string };
    needs: string[];
  };
}

export interface Confusion {
  /** Classes in order; `matrix[expected][predicted]` counts. */
  classes: string[];
  matrix: Record<string, Record<string, number>>;
  macroF1: number;
  accuracy: number;
}

export interface Scores {
  calls: number;
  language: Confusion;
  intent: Confusion;
  urgency: Confusion & { urgentRecall: number; urgentPrecision: number };
  sentiment: Confusion;
  needs: { microF1: number; precision: number; recall: number; perNeed: Record<string, { tp: number; fp: number; fn: number }> };
  mistakes: Array<{ name: string; label: string; expected: string; predicted: string }>;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export function confusion(pairs: Array<[expected: string, predicted: string]>): Confusion {
  const classes = [...new Set(pairs.flat())].sort();
  const matrix: Record<string, Record<string, number>> = {};
  for (const expected of classes) matrix[expected] = Object.fromEntries(classes.map((predicted) => [predicted, 0]));
  for (const [expected, predicted] of pairs) matrix[expected]![predicted]! += 1;
  const perClass = classes.map((label) => {
    const tp = matrix[label]![label]!;
    const fp = classes.reduce((sum, other) => sum + (other === label ? 0 : matrix[other]![label]!), 0);
    const fn = classes.reduce((sum, other) => sum + (other === label ? 0 : matrix[label]![other]!), 0);
    return f1(ratio(tp, tp + fp), ratio(tp, tp + fn));
  });
  const correct = pairs.filter(([expected, predicted]) => expected === predicted).length;
  return { classes, matrix, macroF1: perClass.reduce((a, b) => a + b, 0) / Math.max(1, perClass.length), accuracy: ratio(correct, pairs.length) };
}

export function score(calls: LabelledCall[]): Scores {
  const mistakes: Scores['mistakes'] = [];
  const pairs = (label: string, pick: (insight: LabelledCall['expected'] | CallInsight) => string) =>
    calls.map((call): [string, string] => {
      const expected = pick(call.expected);
      const predicted = pick(call.predicted);
      if (expected !== predicted) mistakes.push({ name: call.name, label, expected, predicted });
      return [expected, predicted];
    });
  const urgencyPairs = pairs('urgency', (insight) => insight.urgency);
  const urgency = confusion(urgencyPairs);
  const urgentTp = urgencyPairs.filter(([e, p]) => e === 'urgent' && p === 'urgent').length;
  const perNeed: Scores['needs']['perNeed'] = {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const call of calls) {
    const expected = new Set(call.expected.needs);
    const predicted = new Set<string>(call.predicted.needs);
    for (const need of new Set([...expected, ...predicted])) {
      const entry = (perNeed[need] ??= { tp: 0, fp: 0, fn: 0 });
      if (expected.has(need) && predicted.has(need)) {
        entry.tp += 1;
        tp += 1;
      } else if (predicted.has(need)) {
        entry.fp += 1;
        fp += 1;
        mistakes.push({ name: call.name, label: 'needs', expected: '-', predicted: need });
      } else {
        entry.fn += 1;
        fn += 1;
        mistakes.push({ name: call.name, label: 'needs', expected: need, predicted: '-' });
      }
    }
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    calls: calls.length,
    language: confusion(pairs('language', (insight) => insight.language)),
    intent: confusion(pairs('intent', (insight) => insight.intent)),
    urgency: {
      ...urgency,
      urgentRecall: ratio(urgentTp, urgencyPairs.filter(([e]) => e === 'urgent').length),
      urgentPrecision: ratio(urgentTp, urgencyPairs.filter(([, p]) => p === 'urgent').length),
    },
    sentiment: confusion([...pairs('sentiment_start', (insight) => insight.sentiment.start), ...pairs('sentiment_end', (insight) => insight.sentiment.end)]),
    needs: { microF1: f1(precision, recall), precision, recall, perNeed },
    mistakes,
  };
}

function table(title: string, result: Confusion): string {
  const width = Math.max(9, ...result.classes.map((label) => label.length)) + 1;
  const pad = (text: string) => text.padStart(width);
  const head = `${'expected \\ got'.padEnd(width + 5)}${result.classes.map((label) => pad(label.slice(0, width - 1))).join('')}`;
  const rows = result.classes.map(
    (expected) => `${expected.padEnd(width + 5)}${result.classes.map((predicted) => pad(String(result.matrix[expected]![predicted]))).join('')}`,
  );
  return [`${title}: macro-F1 ${result.macroF1.toFixed(3)}, accuracy ${result.accuracy.toFixed(3)}`, head, ...rows].join('\n');
}

export function formatScores(scores: Scores): string {
  const parts = [
    `${scores.calls} calls`,
    table('language', scores.language),
    table('intent', scores.intent),
    `${table('urgency', scores.urgency)}\nurgent recall ${scores.urgency.urgentRecall.toFixed(3)}, precision ${scores.urgency.urgentPrecision.toFixed(3)}`,
    table('sentiment (start and end pooled)', scores.sentiment),
    `needs: micro-F1 ${scores.needs.microF1.toFixed(3)} (precision ${scores.needs.precision.toFixed(3)}, recall ${scores.needs.recall.toFixed(3)})\n` +
      Object.entries(scores.needs.perNeed)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([need, counts]) => `  ${need.padEnd(16)} tp ${counts.tp}  fp ${counts.fp}  fn ${counts.fn}`)
        .join('\n'),
  ];
  return parts.join('\n\n');
}
