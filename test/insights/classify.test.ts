/**
 * Issue 17, caller insight: the labelled set's held-out third meets the targets, agent lines never change a label,
 * the output is deterministic, every evidence span holds the words of its rule, guards stop negations, conditions
 * and other people, and the seed system's keyword approach (rebuilt below from its description) scores lower.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyCall, RULES_BY_ID, type ClassifiableCall } from '../../src/insights/classify.js';
import { score, type LabelledCall } from '../../src/insights/evaluate.js';
import { fold } from '../../src/insights/text.js';
import { callerTurns } from '../../src/insights/caller-turns.js';
import type { CallInsight, Intent, Need } from '../../src/insights/labels.js';

type Fixture = ClassifiableCall & { transcript: string; transcript_object?: Array<{ role: string; content: string }>; expected: LabelledCall['expected'] };

const root = join(import.meta.dirname, '../fixtures/insights');
function load(folder: string): Array<{ name: string; call: Fixture }> {
  return readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, call: JSON.parse(readFileSync(join(root, folder, name), 'utf8')) as Fixture }));
}
const heldout = load('heldout');
const tune = load('tune');
const all = [...heldout, ...tune];

function scored(calls: typeof all, classify: (call: Fixture) => CallInsight) {
  return score(calls.map(({ name, call }) => ({ name, predicted: classify(call), expected: call.expected })));
}

/** Agent turns stuffed with every trigger word of every label, inserted before each caller turn and at the end. */
const AGENT_PITCHES = [
  "Are you worried or anxious? First time? Don't worry. Our premium plan is cheap, discounts and coupons, free consultation!",
  'Do you want to cancel, reschedule or book an appointment today? Is it urgent, an IRS levy or garnishment due tomorrow?',
  '¿Quiere cancelar su cita o hacer una cita? ¿Es urgente? Mándeme un mensaje de texto. Exactly, step by step, text me.',
  'I can transfer you to a real person. Wrong number? Where is your refund? What documents should you bring? Thank you so much, perfect!',
];

function withAgentPitches(call: Fixture): Fixture {
  const copy = structuredClone(call);
  if (copy.transcript_object) {
    const items: Array<{ role: string; content: string }> = [];
    copy.transcript_object.forEach((item, index) => {
      items.push({ role: 'agent', content: AGENT_PITCHES[index % AGENT_PITCHES.length]! });
      items.push(item);
    });
    items.push({ role: 'agent', content: AGENT_PITCHES[0]! });
    copy.transcript_object = items;
  }
  copy.transcript = copy.transcript
    .split('\n')
    .flatMap((line, index) => [`Agent: ${AGENT_PITCHES[index % AGENT_PITCHES.length]}`, line])
    .join('\n');
  return copy;
}

describe('held-out third (written before the rules, never tuned on)', () => {
  const scores = scored(heldout, classifyCall);
  it('meets the targets of issue 17', () => {
    expect(heldout.length).toBeGreaterThanOrEqual(50);
    expect(scores.intent.macroF1).toBeGreaterThanOrEqual(0.85);
    expect(scores.urgency.urgentRecall).toBeGreaterThanOrEqual(0.95);
    expect(scores.urgency.urgentPrecision).toBeGreaterThanOrEqual(0.8);
    expect(scores.sentiment.macroF1).toBeGreaterThanOrEqual(0.75);
    expect(scores.needs.microF1).toBeGreaterThanOrEqual(0.75);
  });

  it('the whole set has at least 150 calls, 40 of them in Spanish', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(all.filter(({ call }) => call.expected.language === 'es').length).toBeGreaterThanOrEqual(40);
  });
});

describe('only the caller counts', () => {
  it('adding agent lines full of trigger words changes no label and no evidence', () => {
    for (const { name, call } of all) {
      const before = classifyCall(call);
      const after = classifyCall(withAgentPitches(call));
      expect({ name, ...after }, name).toEqual({ name, ...before });
    }
  });

  it('reads caller turns from a plain transcript as from transcript_object, and ignores transfer targets', () => {
    const plain = 'Agent: Hi, want to cancel?\nUser: I need to book\nan appointment.\nAgent: Sure.\nUser: Thanks so much!';
    expect(callerTurns({ transcript: plain })).toEqual(['I need to book\nan appointment.', 'Thanks so much!']);
    const object = [
      { role: 'agent', content: 'Cancel?' },
      { role: 'transfer_target', content: 'This is urgent, cancel it.' },
      { role: 'user', content: 'Book me in.' },
    ];
    expect(callerTurns({ transcript_object: object })).toEqual(['Book me in.']);
    expect(classifyCall({ transcript_object: object }).intent).toBe('book');
  });
});

describe('deterministic and explained', () => {
  it('the same input gives the same output', () => {
    for (const { call } of all) expect(JSON.stringify(classifyCall(structuredClone(call)))).toBe(JSON.stringify(classifyCall(call)));
  });

  it("every evidence span holds exactly the words its rule matches, in the caller's own turn", () => {
    let checked = 0;
    for (const { name, call } of all) {
      const turns = callerTurns(call);
      const insight = classifyCall(call);
      for (const evidence of insight.evidence) {
        if (evidence.turn === null) continue;
        const text = fold(turns[evidence.turn]!);
        const span = text.slice(evidence.start, evidence.end);
        expect(span.length, `${name} ${evidence.rule}`).toBeGreaterThan(0);
        if (evidence.rule === 'intent.other.unmatched_request') {
          expect(span).toBe(text);
        } else if (evidence.rule.startsWith('language.')) {
          expect(span).toMatch(/^(?:[¿¡]|[a-z']+)$/);
        } else {
          const rule = RULES_BY_ID.get(evidence.rule);
          expect(rule, evidence.rule).toBeDefined();
          const hits = [...text.matchAll(rule!.pattern)].map((found) => [found.index, found.index + found[0].length]);
          expect(hits, `${name} ${evidence.rule} "${span}"`).toContainEqual([evidence.start, evidence.end]);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe('guards', () => {
  const say = (...turns: string[]) =>
    classifyCall({
      transcript_object: turns.flatMap((content) => [
        { role: 'agent', content: 'How can I help?' },
        { role: 'user', content },
      ]),
    });

  it('a negation does not trigger a label', () => {
    expect(say("I don't care about premium, I'm not worried about the price. Book me for next month.").needs).toEqual([]);
    expect(say("I'm not cancelling, I just need to move my appointment to next month.").intent).toBe('reschedule');
    expect(say('Nothing urgent, I want to book a regular appointment.').urgency).toBe('routine');
    expect(say('No, no es urgente. Quiero hacer una cita.').urgency).toBe('routine');
  });

  it('a hypothetical does not trigger a label', () => {
    expect(say("If I had an IRS levy, could you help? I don't. I'd like to book an appointment.").urgency).toBe('routine');
    expect(say('Si algún día necesito cancelar, ¿cómo le hago? Por ahora quiero hacer una cita.').intent).toBe('book');
    expect(say('I was wondering if you do bookkeeping.').intent).toBe('services');
  });

  it('what the caller says about someone else does not trigger a need', () => {
    expect(say("My sister is really anxious about her taxes. I'd like to book an appointment.").needs).toEqual([]);
    expect(say('Mi vecina dice que ustedes son muy caros. Quiero una cita.').needs).toEqual([]);
    expect(say("I'm really anxious about my taxes. I'd like to book an appointment.").needs).toEqual(['reassurance']);
  });

  it('"I need to cancel my appointment" is a cancellation, not a booking', () => {
    expect(say('I need to cancel my appointment').intent).toBe('cancel');
    expect(say('Necesito cancelar mi cita').intent).toBe('cancel');
  });
});

/**
 * The seed system, rebuilt from issue 17's description: keywords per need counted over the whole transcript
 * (the agent's lines included), no negation, and the first intent whose keyword is a substring of the transcript.
 */
const SEED_NEED_WORDS: Record<Need, string[]> = {
  reassurance: ['worried', 'anxious', 'nervous', 'scared', 'first time', 'worry', 'preocup', 'nervios', 'miedo', 'trouble'],
  price_sensitive: ['price', 'cost', 'cheap', 'discount', 'afford', 'premium', 'budget', 'precio', 'cuesta', 'barato', 'free'],
  time_pressed: ['quick', 'hurry', 'busy', 'asap', 'now', 'today', 'rápido', 'prisa', 'urgent'],
  detail_oriented: ['exactly', 'detail', 'step', 'document', 'list', 'bring', 'exactamente', 'documentos'],
  prefers_text: ['text', 'message', 'mensaje', 'texto', 'sms'],
  accessibility: ['hear', 'wheelchair', 'slow', 'spanish', 'español', 'interpreter', 'help'],
};
const SEED_INTENT_WORDS: Array<[Intent, string[]]> = [
  ['book', ['appointment', 'book', 'schedule', 'cita']],
  ['cancel', ['cancel']],
  ['reschedule', ['reschedule', 'move', 'cambiar']],
  ['pricing', ['price', 'cost', 'how much', 'cuánto']],
  ['status', ['refund', 'status', 'reembolso']],
  ['documents', ['document', 'bring', 'documentos']],
  ['speak_to_person', ['person', 'human', 'persona']],
  ['complaint', ['complaint', 'queja']],
  ['wrong_number', ['wrong number', 'equivocado']],
  ['services', ['do you']],
  ['existing_appointment', ['when is my']],
];

function seedClassify(call: Fixture): CallInsight {
  const text = call.transcript.toLowerCase();
  const intent = SEED_INTENT_WORDS.find(([, words]) => words.some((word) => text.includes(word)))?.[0] ?? 'other';
  const counts = (Object.entries(SEED_NEED_WORDS) as Array<[Need, string[]]>).map(
    ([need, words]) => [need, words.filter((word) => text.includes(word)).length] as const,
  );
  const needs = counts
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([need]) => need);
  const urgent = /urgent|levy|garnish|today|tomorrow|emergency|urgente|hoy|mañana/.test(text);
  const positive = /thank|great|gracias|perfect/.test(text);
  const negative = /upset|angry|worried|problem|molest|queja/.test(text);
  const sentiment = negative ? 'negative' : positive ? 'positive' : 'neutral';
  const language = /\b(?:hola|gracias|cita|quiero)\b/.test(text) ? 'es' : 'en';
  return { language, intent, urgency: urgent ? 'urgent' : 'routine', sentiment: { start: sentiment, end: sentiment }, needs, evidence: [] };
}

describe('against the seed system', () => {
  it('the seed keyword approach scores lower on the same calls, on every label', () => {
    const ours = scored(all, classifyCall);
    const seed = scored(all, seedClassify);
    expect(ours.intent.macroF1).toBeGreaterThan(seed.intent.macroF1 + 0.2);
    expect(ours.needs.microF1).toBeGreaterThan(seed.needs.microF1 + 0.2);
    expect(ours.sentiment.macroF1).toBeGreaterThan(seed.sentiment.macroF1);
    expect(ours.urgency.urgentPrecision).toBeGreaterThan(seed.urgency.urgentPrecision);
  });
});
