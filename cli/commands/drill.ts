import type { Command } from 'commander';
import { SEVERITIES } from '../../domain/severity';
import { subjectFromPairs } from '../../ingress/drills';
import type { CliContext } from '../context';

export function register(program: Command, ctx: () => CliContext): void {
  const drill = program.command('drill').description('rehearse a runbook: a real incident marked EXERCISE that never writes to AWS');
  drill
    .command('start <runbook>')
    .description('open an exercise incident of a runbook; AWS steps are planned from real state, approved, never applied')
    .option('--severity <severity>', SEVERITIES.join(' | '), 'high')
    .option('--subject <key=value...>', 'the alert subject (principal, principalType, accessKeyId, kmsKeyId, ips=a,b)', [])
    .action(async (runbook: string, opts: { severity: string; subject: string[] }) => {
      const { incidentId } = await ctx().api().post<{ incidentId: string }>('/drills', { runbook, severity: opts.severity, subject: subjectFromPairs(opts.subject) });
      console.log(incidentId);
    });
}
