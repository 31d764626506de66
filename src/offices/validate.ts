/**
 * What makes an office document servable: the client config schema (the single definition of valid) plus the
 * rules between offices (a Retell agent routes to exactly one office). Problems come back all at once, each
 * as `json.path: reason`, so the dashboard can mark every field and the CLI can print every line.
 */
import { clientConfigSchema, zodProblems, type ClientConfig, type ConfigProblem } from '../config/client-schema.js';

export type OfficeValidation = { ok: true; config: ClientConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * `where` names the document in problems (a file name, or the slug); `others` are the offices already
 * served, for the cross-office rules (the office's own earlier version is ignored by slug).
 */
export function validateOfficeDocument(document: unknown, where: string, others: readonly ClientConfig[] = []): OfficeValidation {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, problems: [{ file: where, path: '', message: 'must be a JSON object describing one office' }] };
  }
  const parsed = clientConfigSchema.safeParse(document);
  if (!parsed.success) return { ok: false, problems: zodProblems(where, parsed.error) };
  const config = parsed.data;
  const problems: ConfigProblem[] = [];
  config.retell.agentIds.forEach((agentId, index) => {
    const owner = others.find((other) => other.slug !== config.slug && other.retell.agentIds.includes(agentId));
    if (owner) {
      problems.push({
        file: where,
        path: `retell.agentIds[${index}]`,
        message: `agent id ${agentId} already belongs to office "${owner.slug}"; each agent must belong to one office`,
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}
