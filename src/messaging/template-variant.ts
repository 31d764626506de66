/**
 * Template variants by caller insight (issue 17, REQ-005): an office may give a template kind extra texts keyed by
 * the call's intent and/or one of the caller's needs, e.g. a `nurture_day1` for `pricing` + `price_sensitive` that
 * mentions the free consultation. The most specific match wins (intent and need, then intent, then need), else the
 * office's ordinary template. One small function, so a language dimension (issue 18) can be added beside it.
 */
import type { TemplateChannel, TemplateKind } from '../config/templates.js';
import type { ClientConfig } from '../config/client-schema.js';

export type TemplateVariant = NonNullable<ClientConfig['templates']['variants']>[number];

export interface VariantContext {
  intent?: string | null;
  needs?: readonly string[] | null;
}

export interface ChosenVariant {
  /** `pricing+price_sensitive`, `pricing`, or `+price_sensitive`: stored in the message payload for staff. */
  key: string;
  variant: TemplateVariant;
}

export function variantKey(variant: Pick<TemplateVariant, 'intent' | 'need'>): string {
  return `${variant.intent ?? ''}${variant.need ? `+${variant.need}` : ''}`;
}

export function pickTemplateVariant(config: ClientConfig, kind: TemplateKind, channel: TemplateChannel, context: VariantContext): ChosenVariant | undefined {
  const needs = context.needs ?? [];
  let best: { rank: number; variant: TemplateVariant } | undefined;
  for (const variant of config.templates.variants ?? []) {
    if (variant.kind !== kind || (channel === 'sms' ? variant.sms === undefined : variant.email === undefined)) continue;
    if (variant.intent !== undefined && variant.intent !== context.intent) continue;
    if (variant.need !== undefined && !needs.includes(variant.need)) continue;
    // Intent + need (3) beats intent (2) beats need (1); among needs, the caller's stronger need (listed first) wins.
    const rank = (variant.intent ? 2 : 0) + (variant.need ? 1 : 0) - (variant.need ? needs.indexOf(variant.need) / 10 : 0);
    if (!best || rank > best.rank) best = { rank, variant };
  }
  return best ? { key: variantKey(best.variant), variant: best.variant } : undefined;
}
