/**
 * `tourniquet approve|deny <incident> <step> --as <user> --justification <text> --plan <hash>`: the
 * same Temporal update (and validator) as the Slack buttons, for when Slack is not configured or
 * down. The plan and its hash are shown before anything is decided, and a decision names the hash
 * of the plan it was made on (or, at a terminal, is confirmed by typing the hash's start).
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { IncidentState, StepState } from '../../domain/incident';
import { displayState } from '../../domain/display';
import { maskText } from '../../domain/masking';
import { displayPolicyFrom } from '../../platform/display-policy';
import { approveUpdate, denyUpdate, stateQuery } from '../../workflows/definitions';
import { refusalReason } from '../../ingress/slack/rejections';
import { type CliContext, CliError } from '../context';
import { normaliseIncidentId } from './incidents';

export interface DecisionRequest {
  incident: string;
  step: string;
  as: string;
  justification: string;
  /** the plan hash the decider reviewed (a prefix of 12 or more characters is enough) */
  plan?: string;
}

/** Shown before deciding; resolves true when the person confirms this exact plan. */
export type Confirm = (step: StepState) => Promise<boolean>;

const HASH_PREFIX = 12;

export function planText(step: StepState): string[] {
  return [`plan of ${step.id} (hash ${step.planHash ?? 'none'}):`, ...(step.plan ?? []).map((line) => `  ${maskText(line)}`)];
}

/** Record a decision; a refusal by the workflow's validator becomes a CliError (exit 4) naming why. */
export async function decide(
  ctx: CliContext,
  decision: 'approve' | 'deny',
  req: DecisionRequest,
  { confirm, show }: { confirm?: Confirm; show?: (step: StepState) => void } = {},
): Promise<{ plan: string[]; state: IncidentState }> {
  const client = await ctx.client();
  const handle = client.workflow.getHandle(normaliseIncidentId(req.incident));
  const before = await handle.query(stateQuery).catch((err: Error) => {
    throw new CliError(`no incident ${req.incident}: ${err.message}`, 3);
  });
  // Shown as a person may see it: the plan with the incident's free text withheld (domain/display.ts).
  const step = displayState(before, displayPolicyFrom(ctx.config)).steps.find((s) => s.id === req.step);
  if (!step) throw new CliError(`incident ${before.id} has no step ${req.step} yet`, 3);
  if (step.status !== 'awaiting-approval' || !step.planHash) throw new CliError(`${decision} refused: step ${req.step} is ${step.status}, not awaiting approval`, 4);
  let planHash = req.plan;
  if (planHash === undefined) {
    if (!confirm) {
      throw new CliError(
        [`${decision} needs the hash of the plan you reviewed; rerun with --plan ${step.planHash}`, ...planText(step)].join('\n'),
        2,
      );
    }
    if (!(await confirm(step))) throw new CliError('not confirmed: nothing was decided', 5);
    planHash = step.planHash;
  } else {
    show?.(step);
    if (planHash.length >= HASH_PREFIX && step.planHash.startsWith(planHash)) planHash = step.planHash;
  }
  try {
    const state = await handle.executeUpdate(decision === 'approve' ? approveUpdate : denyUpdate, {
      args: [{ by: req.as, stepId: req.step, justification: req.justification, planHash }],
    });
    return { plan: step.plan ?? [], state };
  } catch (err) {
    const reason = refusalReason(err);
    if (reason !== undefined) throw new CliError(`${decision} refused: ${reason}`, 4);
    throw err;
  }
}

/** At a terminal: show the plan, then ask for the start of its hash, so a stale plan is never confirmed by habit. */
function terminalConfirm(decision: string): Confirm | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (step) => {
    for (const line of planText(step)) console.log(line);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const typed = (await rl.question(`Type the first ${HASH_PREFIX} characters of the plan hash to ${decision} it: `)).trim();
      return typed.length >= HASH_PREFIX && step.planHash!.startsWith(typed);
    } finally {
      rl.close();
    }
  };
}

export function register(program: Command, ctx: () => CliContext): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(`${decision} <incident> <step>`)
      .description(`${decision} a step waiting for approval (same rules as the Slack buttons)`)
      .requiredOption('--as <user>', 'who decides (a user id of an approver group)')
      .requiredOption('--justification <text>', 'why; kept with the decision')
      .option('--plan <hash>', 'the hash of the plan you reviewed (`incidents show`; 12 characters are enough); without it, a terminal asks')
      .action(async (incident: string, step: string, opts: { as: string; justification: string; plan?: string }) => {
        const show = (s: StepState) => planText(s).forEach((line) => console.log(line));
        const { state } = await decide(ctx(), decision, { incident, step, ...opts }, { confirm: terminalConfirm(decision), show });
        const now = state.steps.find((s) => s.id === step);
        console.log(`${decision === 'approve' ? 'approved' : 'denied'} ${step} of ${state.id} as ${opts.as}`);
        if (now) console.log(`  step is ${now.status} (${now.approvals.length} decision(s) recorded)`);
      });
  }
}
