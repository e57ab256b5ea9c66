import { describeParams, sealPlan, type Plan, type Planner } from '../domain/plan';
import type { Alert } from '../domain/alert';
import type { ApprovalPolicy, PinnedRunbook, RunbookStep } from '../domain/runbook';
import { resolveParams } from '../domain/runbook';

/** One step of a runbook as it would run for a given alert: nothing here changes anything. */
export interface PlannedStep {
  id: string;
  type: string;
  /** index of the entry: steps sharing it run in parallel */
  entry: number;
  params: Record<string, unknown>;
  /** `${alert…}` references the alert does not provide: the step would fail before acting */
  missing: string[];
  approval?: ApprovalPolicy;
  plan?: Plan;
  /** the planner could not read the current state (e.g. no AWS credentials) */
  planError?: string;
}

export interface RunbookDryRun {
  runbook: { id: string; title: string; contentHash: string; phi: boolean; autoContainment: boolean };
  steps: PlannedStep[];
}

/**
 * Resolve every step's parameters against the alert and ask the step's planner what it would
 * change (planners only read). Steps with missing references are not planned: they would fail.
 */
export async function dryRun(pinned: PinnedRunbook, alert: Alert, planners: Record<string, Planner>): Promise<RunbookDryRun> {
  const incidentId = `incident/${alert.fingerprint}`;
  const steps: PlannedStep[] = [];
  const entries = pinned.runbook.steps;
  for (let entry = 0; entry < entries.length; entry++) {
    const group = entries[entry]!;
    const members: RunbookStep[] = 'step' in group ? [group.step] : group.parallel;
    for (const step of members) {
      const { params, missing } = resolveParams(step.with, { alert, incident: { id: incidentId, severity: alert.severity } });
      const planned: PlannedStep = { id: step.id, type: step.type, entry, params, missing, approval: step.approval };
      if (missing.length === 0) {
        const input = { type: step.type, params, incidentId, stepId: step.id };
        try {
          planned.plan = sealPlan(input, await (planners[step.type] ?? describeParams)(input));
        } catch (err) {
          planned.planError = (err as Error).message;
        }
      }
      steps.push(planned);
    }
  }
  const { runbook, contentHash } = pinned;
  return {
    runbook: { id: runbook.id, title: runbook.title, contentHash, phi: runbook.phi, autoContainment: runbook.autoContainment },
    steps,
  };
}

/** The dry run for people: what runs, in what order, behind which approvals, changing what. */
export function describeDryRun(run: RunbookDryRun): string {
  const r = run.runbook;
  const lines = [
    `${r.id} — ${r.title}  (${r.contentHash.slice(0, 12)})`,
    `  PHI: ${r.phi ? 'yes, the breach-notification clock starts' : 'no'}; auto-containment: ${r.autoContainment ? 'on' : 'off'}`,
  ];
  let lastEntry = -1;
  for (const step of run.steps) {
    const parallel = run.steps.filter((s) => s.entry === step.entry).length > 1;
    if (step.entry !== lastEntry) lines.push(`  ${step.entry + 1}.${parallel ? ' in parallel:' : ''}`);
    lastEntry = step.entry;
    lines.push(`    ${step.id} (${step.type})`);
    if (step.approval) {
      const a = step.approval;
      lines.push(
        `      approval: ${a.approvers} from ${a.group}, escalate after ${a.timeout}${a.escalateTo ? ` to ${a.escalateTo}` : ''}, then ${a.onTimeout} after ${a.finalTimeout}`,
      );
    }
    if (step.missing.length > 0) lines.push(`      WOULD FAIL: the alert does not provide ${step.missing.join(', ')}`);
    if (step.planError) lines.push(`      plan unavailable: ${step.planError}`);
    for (const line of step.plan?.lines ?? []) lines.push(`      - ${line}`);
  }
  return lines.join('\n');
}
