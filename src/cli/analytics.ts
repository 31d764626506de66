import type { CliCommand } from './commands.js';

export const analyticsCommand: CliCommand = (program, io) => {
  const analytics = program.command('analytics').description('Analytics rollups (see docs/analytics.md).');
  analytics
    .command('rebuild')
    .description(
      "Recompute every office's daily analytics rollups from the raw rows (after changing an office's zone, hours or appointment values, or to repair). Works beside running instances on PostgreSQL.",
    )
    .option('--office <slug...>', 'only these offices (default: every office)')
    .action(async (options: { office?: string[] }) => (await import('./actions/analytics.js')).rebuild(io, options));
};
