/** The onboarding wizard's progress rows: answers and results by step, so the wizard can be resumed anywhere. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import type { OnboardingAnswers } from './answers.js';

export type StepName = 'basics' | 'pack' | 'calendar' | 'texting' | 'email' | 'alerts' | 'retell' | 'golive';
export const STEP_NAMES: readonly StepName[] = ['basics', 'pack', 'calendar', 'texting', 'email', 'alerts', 'retell', 'golive'];

export interface StepResult {
  ok: boolean;
  at: string;
  /** What the step found or did, for the person (never a secret). */
  [key: string]: unknown;
}

export interface Onboarding {
  id: string;
  clientId: string | null;
  answers: OnboardingAnswers;
  results: Partial<Record<StepName, StepResult>>;
  createdBy: string;
  finishedAt: Date | null;
  removedAt: Date | null;
}

export async function createOnboarding(db: Kysely<DB>, clock: Clock, createdBy: string): Promise<Onboarding> {
  const now = clock.now();
  const id = `onb_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  await db
    .insertInto('onboardings')
    .values({ id, client_id: null, answers: json({}), results: json({}), created_by: createdBy, created_at: now, updated_at: now })
    .execute();
  return { id, clientId: null, answers: {}, results: {}, createdBy, finishedAt: null, removedAt: null };
}

export async function loadOnboarding(db: Kysely<DB>, id: string): Promise<Onboarding | undefined> {
  const row = await db.selectFrom('onboardings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    clientId: row.client_id,
    answers: row.answers,
    results: row.results,
    createdBy: row.created_by,
    finishedAt: row.finished_at,
    removedAt: row.removed_at,
  };
}

export async function onboardingOfClient(db: Kysely<DB>, clientId: string): Promise<Onboarding | undefined> {
  const row = await db.selectFrom('onboardings').select('id').where('client_id', '=', clientId).where('removed_at', 'is', null).executeTakeFirst();
  return row ? loadOnboarding(db, row.id) : undefined;
}

export async function saveOnboarding(db: Kysely<DB>, clock: Clock, onboarding: Onboarding): Promise<void> {
  await db
    .updateTable('onboardings')
    .set({
      client_id: onboarding.clientId,
      answers: json(onboarding.answers as Record<string, unknown>),
      results: json(onboarding.results),
      finished_at: onboarding.finishedAt,
      removed_at: onboarding.removedAt,
      updated_at: clock.now(),
    })
    .where('id', '=', onboarding.id)
    .execute();
}
