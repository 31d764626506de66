/** The analytics feature: the weekly digest's outbox handlers, and each office's next digest planned at start. */
import type { FeatureModule } from '../app-context.js';
import { DIGEST_EMAIL_KIND, DIGEST_KIND, digestEmailHandler, digestHandler, scheduleDigest } from './digest.js';

export const analyticsModule: FeatureModule = {
  name: 'analytics',
  async setUp(context) {
    context.handlers.set(DIGEST_KIND, digestHandler(context));
    context.handlers.set(DIGEST_EMAIL_KIND, digestEmailHandler(context));
    if (!context.env.analyticsDigest) return;
    // Every instance plans the same rows; the dedupe key per office and week keeps one.
    for (const slug of context.clients.slugs()) await scheduleDigest(context.db, context, slug, context.clock.now());
  },
};
