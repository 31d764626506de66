/** `/readyz` line `offices`: how many offices are served, and each one that is broken with its first problem. */
import type { ClientRegistry } from '../config/registry.js';
import type { HealthCheck } from '../http/health.js';

export function officesHealthCheck(registry: ClientRegistry): HealthCheck {
  return {
    name: 'offices',
    // A broken office must not take the others out of the load balancer.
    critical: false,
    async check() {
      const served = registry.slugs();
      const broken = registry.broken();
      const servedText = `${served.length} served${served.length ? `: ${served.join(', ')}` : ''}`;
      if (broken.length === 0) return { status: 'ok', detail: servedText };
      const list = broken.map((office) => {
        const first = office.problems[0];
        const more = office.problems.length > 1 ? ` (+${office.problems.length - 1} more)` : '';
        return `${office.slug}: ${first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'cannot be loaded'}${more}`;
      });
      return { status: 'degraded', detail: `${servedText}; broken: ${list.join('; ')}` };
    },
  };
}
