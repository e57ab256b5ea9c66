import type { Command } from 'commander';
import { maskText } from '../../domain/masking';
import { stateQuery } from '../../workflows/definitions';
import { UNDO_CONTAINMENT_WORKFLOW, undoWorkflowId } from '../../workflows/playbooks/definitions';
import type { UndoRequest } from '../../workflows/playbooks/undo';
import { type CliContext, CliError } from '../context';
import { normaliseIncidentId } from './incidents';

/**
 * `tourniquet undo <incident> <step>`: run the compensation a succeeded step offered (unblock,
 * re-enable keys). Offered by the incident, never automatic: a person runs it, on the record.
 */
export function register(program: Command, ctx: () => CliContext): void {
  program
    .command('undo <incident> <step>')
    .description("run a containment step's undo (e.g. unblock addresses, re-enable keys deactivated by mistake)")
    .requiredOption('--by <user>', 'who asks (recorded)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, stepId: string, opts: { by: string; reason: string }) => {
      const context = ctx();
      const client = await context.client();
      const incidentId = normaliseIncidentId(incident);
      const state = await client.workflow.getHandle(incidentId).query(stateQuery).catch((err: Error) => {
        throw new CliError(`no incident ${incident}: ${err.message}`, 3);
      });
      const undo = state.steps.find((s) => s.id === stepId)?.undo;
      if (!undo) throw new CliError(`step ${stepId} of ${incidentId} offers no undo`, 2);
      const request: UndoRequest = { undo, by: opts.by, reason: opts.reason, incidentId, stepId };
      const summary = await client.workflow.execute<(req: UndoRequest) => Promise<string>>(UNDO_CONTAINMENT_WORKFLOW, {
        taskQueue: context.config.temporal.taskQueue,
        workflowId: undoWorkflowId(incidentId, stepId),
        args: [request],
      });
      console.log(maskText(summary));
    });
}
