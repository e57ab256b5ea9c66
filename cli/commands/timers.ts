import type { Command } from 'commander';
import type { BlockStatus, KeyDeletionStatus } from '../../workflows/playbooks/definitions';
import type { CliContext } from '../context';
import { incidentSegment } from '../operator-api';
import { normaliseIncidentId } from './incidents';

/**
 * The timers containment leaves running: `block extend|lift <incident> <step>` and
 * `key-deletion cancel <incident> <step>` (keep the deactivated keys), through the operator API.
 */
export function register(program: Command, ctx: () => CliContext): void {
  const path = (kind: string, incident: string, step: string, verb: string) =>
    `/${kind}/${incidentSegment(normaliseIncidentId(incident))}/${encodeURIComponent(step)}/${verb}`;
  const block = program.command('block').description("a blockTraffic step's block");
  block
    .command('extend <incident> <step>')
    .description('keep the block longer')
    .requiredOption('--extend-by <duration>', 'added to the current expiry: 30m, 12h, 2d')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, step: string, o: { extendBy: string; reason: string }) => {
      const status = await ctx().api().post<BlockStatus>(path('blocks', incident, step, 'extend'), { extendBy: o.extendBy, reason: o.reason });
      console.log(`block of ${status.cidrs.join(', ')} now expires ${status.expiresAt}`);
    });
  block
    .command('lift <incident> <step>')
    .description('lift the block now (the undo also tells the incident; this only ends the timer early)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, step: string, o: { reason: string }) => {
      await ctx().api().post<BlockStatus>(path('blocks', incident, step, 'lift'), { reason: o.reason });
      console.log(`lift of the block of ${step} sent`);
    });
  program
    .command('key-deletion')
    .description("a revokeCredentials step's scheduled key deletion")
    .command('cancel <incident> <step>')
    .description('keep the deactivated keys: their deletion after the grace period is cancelled')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, step: string, o: { reason: string }) => {
      const status = await ctx().api().post<KeyDeletionStatus>(path('key-deletions', incident, step, 'cancel'), { reason: o.reason });
      console.log(`deletion of ${status.accessKeyIds.join(', ')} cancel sent`);
    });
}
