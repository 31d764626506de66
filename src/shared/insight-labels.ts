/**
 * The fixed vocabulary of caller insight (issue 17), shared by the server (insights/labels.ts) and the dashboard
 * (web/src/screens/CallerProfile.tsx). Every label is `unknown` when nothing the caller said supports it; there is no
 * label for a protected trait and none meant to manipulate. See docs/insights.md. Files in src/shared import nothing,
 * so both builds can include them.
 */
export const LANGUAGES = ['en', 'es'] as const;
export const INTENTS = [
  'book',
  'reschedule',
  'cancel',
  'existing_appointment',
  'pricing',
  'services',
  'status',
  'documents',
  'speak_to_person',
  'complaint',
  'wrong_number',
  'other',
] as const;
export const URGENCIES = ['routine', 'soon', 'urgent'] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export const NEEDS = ['reassurance', 'price_sensitive', 'time_pressed', 'detail_oriented', 'prefers_text', 'accessibility'] as const;

/** A caller profile and a call insight name at most this many needs. */
export const MAX_NEEDS = 3;
