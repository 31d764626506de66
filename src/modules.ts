/**
 * The feature modules, in the order their `setUp` runs. A module may use what an earlier one put in the
 * context (e.g. booking uses the alerts module's port).
 */
import type { FeatureModule } from './app-context.js';

export const featureModules: FeatureModule[] = [];
