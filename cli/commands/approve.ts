/**
 * `tourniquet approve|deny <incident> <step> --justification <text> --plan <hash>`: the same
 * decision as the Slack buttons, through the operator API as the person the token belongs to (no
 * one names themselves). The plan and its hash are read and shown first, and a decision names the
 * hash of the plan it was made on (or, at a terminal, is confirmed by typing the hash's start).
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { StepState } from '../../domain/incident';
import { displayState } from '../../domain/display';
import { maskText } from '../../domain/masking';
import { displayPolicyFrom } from '../../platform/display-policy';
import { stateQuery } from '../../workflows/definitions';
import { type CliContext, CliError } from '../context';
import { incidentSegment } from '../operator-api';
import { normaliseIncidentId } from './incidents';

export interface DecisionRequest {
  incident: string;
  step: string;
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

export interface DecisionResult {
  incident: string;
  step: string;
  /** the verified person it was recorded as */
  by: string;
  status?: string;
  decisions: number;
}

/** Record a decision; a refusal (authority, or the workflow's validator) becomes a CliError (exit 4) naming why. */
export async function decide(
  ctx: CliContext,
  decision: 'approve' | 'deny',
  req: DecisionRequest,
  { confirm, show }: { confirm?: Confirm; show?: (step: StepState) => void } = {},
): Promise<{ plan: string[]; result: DecisionResult }> {
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
  const result = await ctx
    .api()
    .post<DecisionResult>(`/incidents/${incidentSegment(before.id)}/steps/${encodeURIComponent(req.step)}/${decision}`, { justification: req.justification, planHash })
    .catch((err: Error) => {
      if (err instanceof CliError && err.exitCode === 4) throw new CliError(`${decision} ${err.message}`, 4);
      throw err;
    });
  return { plan: step.plan ?? [], result };
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
      .requiredOption('--justification <text>', 'why; kept with the decision')
      .option('--plan <hash>', 'the hash of the plan you reviewed (`incidents show`; 12 characters are enough); without it, a terminal asks')
      .action(async (incident: string, step: string, opts: { justification: string; plan?: string }) => {
        const show = (s: StepState) => planText(s).forEach((line) => console.log(line));
        const { result } = await decide(ctx(), decision, { incident, step, ...opts }, { confirm: terminalConfirm(decision), show });
        console.log(`${decision === 'approve' ? 'approved' : 'denied'} ${step} of ${result.incident} as ${result.by}`);
        if (result.status) console.log(`  step is ${result.status} (${result.decisions} decision(s) recorded)`);
      });
  }
}
