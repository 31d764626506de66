/** Turns an args validation failure into a sentence the agent can act on ("ask the caller for …"). */
import type { z } from 'zod';

function fieldLabel(schema: z.ZodType, field: string): string {
  const shape = (schema as unknown as { shape?: Record<string, { description?: string }> }).shape;
  return shape?.[field]?.description ?? field.replace(/_/g, ' ');
}

/**
 * A label as the object of "ask the caller for …": "the caller's full name" → "their full name", "e-mail address" →
 * "their e-mail address", and a label that already has its article ("the kind of appointment") kept as it is.
 */
export function whatToAsk(label: string): string {
  const owned = /^the caller's\s+/i.exec(label);
  if (owned) return `their ${label.slice(owned[0].length)}`;
  if (/^(the|a|an|their|your)\s/i.test(label)) return label;
  return `their ${label}`;
}

export function argsProblemMessage(schema: z.ZodType, error: z.ZodError): string {
  const parts: string[] = [];
  const fields: string[] = [];
  for (const issue of error.issues.slice(0, 5)) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : undefined;
    if (field === undefined) {
      parts.push(issue.message);
      continue;
    }
    const label = fieldLabel(schema, field);
    fields.push(field);
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    parts.push(missing ? `${label} is missing` : `${label} is not valid (${issue.message})`);
  }
  const ask =
    fields.length > 0
      ? ` Please ask the caller for ${[...new Set(fields)].map((field) => whatToAsk(fieldLabel(schema, field))).join(' and ')}, then try again.`
      : ' Please check what the caller said and try again.';
  return `I couldn't do that yet: ${parts.join('; ')}.${ask}`;
}
