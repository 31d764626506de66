/** The outbox's own housekeeping: each office's daily prune of finished rows past their retention (prune.ts). */
import type { FeatureModule } from '../app-context.js';
import { setUpOutboxPrune } from './prune.js';

export const outboxModule: FeatureModule = {
  name: 'outbox',
  setUp: (context) => setUpOutboxPrune(context),
};
