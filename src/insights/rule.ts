/**
 * One rule: a pattern over the folded caller text (lower case, no accents: see `text.ts`) that supports one value
 * of one label. The id names the label, the value and the wording, and is stored with every piece of evidence.
 */
export type RuleLabel = 'intent' | 'urgency' | 'sentiment' | 'needs';

export interface Rule {
  id: string;
  label: RuleLabel;
  value: string;
  /** Global flag required; written for folded text. */
  pattern: RegExp;
  /** A negation shortly before the match cancels it (default true). Off for wordings that carry their own "not". */
  negatable: boolean;
  /** A condition ("if I had…") before the match cancels it (default true). */
  conditional: boolean;
  /** A third person as the clause's subject cancels it (default: true for needs, sentiment and urgency). */
  selfOnly: boolean;
  /** Larger wins when one call matches several values of the same label. */
  weight: number;
}

type RuleOptions = Partial<Pick<Rule, 'negatable' | 'conditional' | 'selfOnly' | 'weight'>>;

export function rule(label: RuleLabel, value: string, name: string, pattern: RegExp, options: RuleOptions = {}): Rule {
  if (!pattern.global) throw new Error(`rule ${label}.${value}.${name}: pattern needs the g flag`);
  return {
    id: `${label}.${value}.${name}`,
    label,
    value,
    pattern,
    negatable: options.negatable ?? true,
    conditional: options.conditional ?? true,
    selfOnly: options.selfOnly ?? label !== 'intent',
    weight: options.weight ?? 1,
  };
}
