import type { Command } from 'commander';
import { SEVERITIES } from '../../domain/severity';
import type { CliContext } from '../context';

/** `key=value` pairs for the drill alert's subject; `ips` takes a comma-separated list. */
function subjectOf(pairs: string[]): Record<string, unknown> {
  const subject: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--subject ${pair}: expected key=value`);
    const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    subject[key] = key === 'ips' ? value.split(',').filter(Boolean) : value;
  }
  return subject;
}

export function register(program: Command, ctx: () => CliContext): void {
  const drill = program.command('drill').description('rehearse a runbook: a real incident marked EXERCISE that never writes to AWS');
  drill
    .command('start <runbook>')
    .description('open an exercise incident of a runbook; AWS steps are planned from real state, approved, never applied')
    .option('--severity <severity>', SEVERITIES.join(' | '), 'high')
    .option('--subject <key=value...>', 'the alert subject (principal, principalType, accessKeyId, kmsKeyId, ips=a,b)', [])
    .action(async (runbook: string, opts: { severity: string; subject: string[] }) => {
      const { incidentId } = await ctx().api().post<{ incidentId: string }>('/drills', { runbook, severity: opts.severity, subject: subjectOf(opts.subject) });
      console.log(incidentId);
    });
}
