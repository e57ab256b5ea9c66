import type { Command } from 'commander';
import { maskText } from '../../domain/masking';
import type { CliContext } from '../context';
import { incidentSegment } from '../operator-api';
import { normaliseIncidentId } from './incidents';

/**
 * `tourniquet undo <incident> <step>`: run the compensation a succeeded step offered (unblock,
 * re-enable keys). Offered by the incident, never automatic: a person runs it, through the operator
 * API, as the person their token names; the undo workflow checks the ingress's grant before acting.
 */
export function register(program: Command, ctx: () => CliContext): void {
  program
    .command('undo <incident> <step>')
    .description("run a containment step's undo (e.g. unblock addresses, re-enable keys deactivated by mistake)")
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, stepId: string, opts: { reason: string }) => {
      const { summary } = await ctx()
        .api()
        .post<{ summary: string }>(`/incidents/${incidentSegment(normaliseIncidentId(incident))}/steps/${encodeURIComponent(stepId)}/undo`, { reason: opts.reason });
      console.log(maskText(summary));
    });
}
