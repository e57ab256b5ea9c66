/**
 * `tourniquet approve|deny <incident> <step> --as <user> --justification <text>`: the same
 * Temporal update (and validator) as the Slack buttons, for when Slack is not configured or down.
 */
import type { Command } from 'commander';
import type { IncidentState } from '../../domain/incident';
import { maskText } from '../../domain/masking';
import { approveUpdate, denyUpdate, stateQuery } from '../../workflows/definitions';
import { refusalReason } from '../../ingress/slack/rejections';
import { type CliContext, CliError } from '../context';
import { normaliseIncidentId } from './incidents';

export interface DecisionRequest {
  incident: string;
  step: string;
  as: string;
  justification: string;
  /** the plan hash the decider reviewed; without it, the plan shown just before deciding */
  plan?: string;
}

/** Record a decision; a refusal by the workflow's validator becomes a CliError (exit 4) naming why. */
export async function decide(ctx: CliContext, decision: 'approve' | 'deny', req: DecisionRequest): Promise<{ plan: string[]; state: IncidentState }> {
  const client = await ctx.client();
  const handle = client.workflow.getHandle(normaliseIncidentId(req.incident));
  try {
    const before = await handle.query(stateQuery);
    const step = before.steps.find((s) => s.id === req.step);
    const state = await handle.executeUpdate(decision === 'approve' ? approveUpdate : denyUpdate, {
      args: [{ by: req.as, stepId: req.step, justification: req.justification, planHash: req.plan ?? step?.planHash }],
    });
    return { plan: step?.plan ?? [], state };
  } catch (err) {
    const reason = refusalReason(err);
    if (reason !== undefined) throw new CliError(`${decision} refused: ${reason}`, 4);
    throw err;
  }
}

export function register(program: Command, ctx: () => CliContext): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(`${decision} <incident> <step>`)
      .description(`${decision} a step waiting for approval (same rules as the Slack buttons)`)
      .requiredOption('--as <user>', 'who decides (a user id of an approver group)')
      .requiredOption('--justification <text>', 'why; kept with the decision')
      .option('--plan <hash>', 'the plan hash you reviewed (see `incidents show --json`)')
      .action(async (incident: string, step: string, opts: { as: string; justification: string; plan?: string }) => {
        const { plan, state } = await decide(ctx(), decision, { incident, step, ...opts });
        const now = state.steps.find((s) => s.id === step);
        console.log(`${decision === 'approve' ? 'approved' : 'denied'} ${step} of ${state.id} as ${opts.as}`);
        for (const line of plan) console.log(`  plan: ${maskText(line)}`);
        if (now) console.log(`  step is ${now.status} (${now.approvals.length} decision(s) recorded)`);
      });
  }
}
