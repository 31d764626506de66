/**
 * A call's insight labels (issue 17) and its transcript with the caller's words that produced each label
 * highlighted; hovering a highlight names the label and the rule. Evidence turns count the caller's turns only.
 */
import type { ReactElement } from 'react';

export interface Evidence {
  label: string;
  value: string;
  turn: number | null;
  start: number;
  end: number;
  rule: string;
}

export interface InsightData {
  language: string;
  intent: string;
  urgency: string;
  sentiment: { start: string; end: string };
  needs: string[];
  openIssue: string | null;
  evidence: Evidence[];
  rulesVersion: string;
}

export interface Utterance {
  role: string;
  content: string;
}

const words = (value: string) => value.replace(/_/g, ' ');

export function InsightFacts({ insight }: { insight: InsightData | null }) {
  if (!insight) return <div className="notice empty">No insight yet: it is computed when Retell's analysis of the call arrives.</div>;
  return (
    <dl className="facts" aria-label="Caller insight">
      <dt>Asked for</dt>
      <dd>{words(insight.intent)}</dd>
      <dt>Urgency</dt>
      <dd>{words(insight.urgency)}</dd>
      <dt>Mood</dt>
      <dd>
        {insight.sentiment.start} → {insight.sentiment.end}
      </dd>
      <dt>Needs</dt>
      <dd>{insight.needs.length ? insight.needs.map(words).join(', ') : 'none noticed'}</dd>
      <dt>Language</dt>
      <dd>{insight.language}</dd>
      {insight.openIssue && (
        <>
          <dt>Open issue</dt>
          <dd>{insight.openIssue}</dd>
        </>
      )}
    </dl>
  );
}

function highlighted(content: string, spans: Evidence[]) {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: Array<string | ReactElement> = [];
  let at = 0;
  for (const span of sorted) {
    if (span.start < at) continue;
    parts.push(content.slice(at, span.start));
    const same = sorted.filter((other) => other.start === span.start && other.end === span.end);
    const title = same.map((item) => `${words(item.label)}: ${words(item.value)} (${item.rule})`).join('\n');
    // Every rule behind these words (one span may support a sentiment and a need), space-separated.
    const rules = [...new Set(same.map((item) => item.rule))].join(' ');
    parts.push(
      <mark key={`${span.start}-${span.end}`} title={title} data-rule={rules}>
        {content.slice(span.start, span.end)}
      </mark>,
    );
    at = span.end;
  }
  parts.push(content.slice(at));
  return parts;
}

export function InsightTranscript({ utterances, insight }: { utterances: Utterance[]; insight: InsightData | null }) {
  let callerTurn = -1;
  return (
    <div className="transcript" aria-label="Transcript with evidence">
      {utterances.map((utterance, index) => {
        const isCaller = utterance.role === 'user';
        if (isCaller) callerTurn += 1;
        const spans =
          isCaller && insight ? insight.evidence.filter((item) => item.turn === callerTurn && item.end > item.start && item.label !== 'language') : [];
        return (
          <p key={index} className={isCaller ? 'turn caller' : 'turn agent'}>
            <strong>{isCaller ? 'Caller' : utterance.role === 'agent' ? 'Agent' : words(utterance.role)}:</strong>{' '}
            {spans.length ? highlighted(utterance.content, spans) : utterance.content}
          </p>
        );
      })}
    </div>
  );
}
