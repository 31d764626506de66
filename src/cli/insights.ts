import type { CliCommand } from './commands.js';

export const insightsCommand: CliCommand = (program, io) => {
  const insights = program.command('insights').description('Caller insight: explainable labels per call (docs/insights.md).');
  insights
    .command('classify [file]')
    .description('Label one Retell call object (JSON with transcript_object or a plain transcript); "-" or no file reads stdin.')
    .action(async (file?: string) => (await import('./actions/insights.js')).classifyFile(io, file));
  insights
    .command('eval <dir>')
    .description('Score a folder of labelled calls (*.json: the call plus `expected`): confusion matrices and F1.')
    .option('--json', 'print the scores as JSON')
    .option('--mistakes', 'list every call whose labels differ')
    .action(async (dir: string, options: { json?: boolean; mistakes?: boolean }) => (await import('./actions/insights.js')).evaluateFolder(io, dir, options));
};
