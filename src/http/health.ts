/** Liveness, readiness (database, migrations, every vendor connection) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { pendingMigrations } from '../db/migrate.js';
import type { AppContext } from '../app-context.js';

export interface HealthResult {
  status: 'ok' | 'degraded' | 'down';
  detail?: string;
}

export interface HealthCheck {
  name: string;
  /** A failing critical check makes /readyz answer 503; others only report `degraded`. */
  critical: boolean;
  check(): Promise<HealthResult>;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<HealthResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.check(),
      new Promise<HealthResult>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'down', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (error) {
    return { status: 'down', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function databaseChecks(context: AppContext): HealthCheck[] {
  return [
    {
      name: 'database',
      critical: true,
      async check() {
        await sql`select 1`.execute(context.database.db);
        return { status: 'ok', detail: context.database.location };
      },
    },
    {
      name: 'migrations',
      critical: true,
      async check() {
        const pending = await pendingMigrations(context.database);
        return pending.length === 0 ? { status: 'ok' } : { status: 'down', detail: `pending: ${pending.join(', ')} (run \`switchboard migrate\`)` };
      },
    },
  ];
}

export async function healthRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks = [...databaseChecks(context), ...context.health];
    const results = await Promise.all(checks.map(async (check) => ({ name: check.name, critical: check.critical, ...(await runCheck(check, 2_000)) })));
    const down = results.some((result) => result.critical && result.status === 'down');
    const degraded = results.some((result) => result.status !== 'ok');
    const status = down ? 'down' : degraded ? 'degraded' : 'ok';
    reply.code(down ? 503 : 200);
    // Details name data directories, database hosts and vendor errors: for signed-in admins only. A load
    // balancer or monitor needs no more than each check's name and status.
    const viewer = await context.signedInUser?.(request);
    if (viewer?.role === 'admin') return { status, mode: context.env.mode, checks: results };
    return {
      status,
      mode: context.env.mode,
      checks: results.map(({ name, critical, status: checkStatus }) => ({ name, critical, status: checkStatus })),
      ...(status === 'ok' ? {} : { hint: 'Sign in to the dashboard as an admin for details, or run `switchboard doctor`.' }),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}
