/**
 * A caller profile from their last five analysed calls (issue 17): newer calls weigh more (1, 0.8, 0.6, 0.4, 0.2),
 * at most three traits, and one plain sentence of guidance (≤ 240 characters, in the caller's language) that the
 * agent can follow. Traits are the same needs the calls were labelled with; nothing about who the caller is.
 */
import { MAX_NEEDS, NEEDS, type Need } from './labels.js';

export const PROFILE_CALLS = 5;
const WEIGHTS = [1, 0.8, 0.6, 0.4, 0.2];
/** A need must be supported by about one recent call (or several older ones) to become a trait. */
const TRAIT_THRESHOLD = 0.6;
export const GUIDANCE_MAX = 240;

export interface ProfileInput {
  language: string;
  intent: string;
  urgency: string;
  needs: string[];
  openIssue: string | null;
}

export interface CallerProfile {
  intentLast: string;
  needs: Need[];
  language: 'en' | 'es' | '';
  openIssue: string;
  guidance: string;
  callsCounted: number;
}

/** `calls` newest first. */
export function buildProfile(calls: ProfileInput[]): CallerProfile {
  const recent = calls.slice(0, PROFILE_CALLS);
  const scores = new Map<Need, number>();
  const languages = { en: 0, es: 0 };
  recent.forEach((call, index) => {
    const weight = WEIGHTS[index]!;
    for (const need of call.needs) if ((NEEDS as readonly string[]).includes(need)) scores.set(need as Need, (scores.get(need as Need) ?? 0) + weight);
    if (call.language === 'en' || call.language === 'es') languages[call.language] += weight;
  });
  const needs = [...scores.entries()]
    .filter(([, score]) => score >= TRAIT_THRESHOLD)
    .sort((a, b) => b[1] - a[1] || NEEDS.indexOf(a[0]) - NEEDS.indexOf(b[0]))
    .slice(0, MAX_NEEDS)
    .map(([need]) => need);
  const language = languages.en === 0 && languages.es === 0 ? '' : languages.es > languages.en ? 'es' : 'en';
  const intentLast = recent.find((call) => call.intent !== 'unknown')?.intent ?? '';
  // Only the latest call's matter is still open: an older one was either resolved or asked about again.
  const latest = recent[0];
  const openIssue = latest?.openIssue ?? '';
  const profile = { intentLast, needs, language, openIssue, callsCounted: recent.length } as const;
  return { ...profile, guidance: recent.length === 0 ? '' : guidanceFor({ ...profile, urgent: latest?.urgency === 'urgent' }) };
}

const ACTIONS: Record<'en' | 'es', Record<Need, string>> = {
  en: {
    reassurance: 'reassure first',
    price_sensitive: 'be clear about prices and the free consultation',
    time_pressed: 'keep it short',
    detail_oriented: 'give exact steps and what to bring',
    prefers_text: 'offer to confirm by text',
    accessibility: 'speak slowly and offer help getting in',
  },
  es: {
    reassurance: 'tranquilícelo primero',
    price_sensitive: 'sea claro con los precios y la consulta gratis',
    time_pressed: 'sea breve',
    detail_oriented: 'dé pasos exactos y qué traer',
    prefers_text: 'ofrezca confirmar por texto',
    accessibility: 'hable despacio y ofrezca ayuda para llegar',
  },
};

const INTENT_WORDS: Record<'en' | 'es', Record<string, string>> = {
  en: {
    status: 'asked about a status',
    complaint: 'had a complaint',
    cancel: 'cancelled',
    reschedule: 'rescheduled',
    pricing: 'asked about prices',
    book: 'booked or tried to',
    documents: 'asked about documents',
    services: 'asked what we do',
    existing_appointment: 'asked about an appointment',
    speak_to_person: 'asked for a person',
  },
  es: {
    status: 'preguntó por un estado',
    complaint: 'tuvo una queja',
    cancel: 'canceló',
    reschedule: 'cambió su cita',
    pricing: 'preguntó precios',
    book: 'quiso una cita',
    documents: 'preguntó por documentos',
    services: 'preguntó qué hacemos',
    existing_appointment: 'preguntó por su cita',
    speak_to_person: 'pidió hablar con alguien',
  },
};

function guidanceFor(profile: { intentLast: string; needs: Need[]; language: string; openIssue: string; urgent: boolean }): string {
  const lang = profile.language === 'es' ? 'es' : 'en';
  const actions = profile.needs.map((need) => ACTIONS[lang][need]);
  if (profile.urgent) actions.push(lang === 'es' ? 'ofrezca la cita más pronta' : 'offer the earliest slot');
  const mood = profile.needs.includes('reassurance') ? (lang === 'es' ? ', preocupado' : ', anxious') : '';
  const about = profile.openIssue
    ? lang === 'es'
      ? ` por "${profile.openIssue}"`
      : ` about "${profile.openIssue}"`
    : profile.intentLast && INTENT_WORDS[lang][profile.intentLast]
      ? lang === 'es'
        ? `; la última vez ${INTENT_WORDS[lang][profile.intentLast]}`
        : `; last time they ${INTENT_WORDS[lang][profile.intentLast]}`
      : '';
  const head = (lang === 'es' ? 'Cliente que vuelve a llamar' : 'Returning caller') + mood + about;
  const sentence = actions.length > 0 ? `${head}: ${actions.join(', ')}.` : `${head}.`;
  return clip(sentence, GUIDANCE_MAX);
}

/** Cut at a word boundary and end with a full stop, never past `max` characters. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 1)).replace(/[,:;"\s]+$/, '')}.`;
}
