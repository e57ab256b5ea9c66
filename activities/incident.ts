import type { Alert } from '../domain/alert';
import type { PinnedRunbook } from '../domain/runbook';
import type { DecisionKeys } from '../domain/decision-proof';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { DRILL_RUNBOOK_LABEL } from '../domain/exercise';
import { isExerciseId } from '../domain/ids';
import { readRunbooks, selectRunbook } from '../runbooks';
import type { SeverityPolicy } from '../domain/severity-policy';
import { SeveritySchema, severityPolicyFrom } from '../platform/severity-config';
import { describeParams, sealPlan, type Plan, type PlanInput, type Planner } from '../domain/plan';

export interface IncidentActivityDeps {
  runbooksDir: string;
  approverGroups: Record<string, string[]>;
  knownStepTypes: ReadonlySet<string>;
  planners: Record<string, Planner>;
  /** public keys of the ingress's decision-signing key(s), by key id (platform/decision-keys.ts) */
  decisionKeys: DecisionKeys;
  /** levels and response targets (platform/severity-config.ts); default: the built-in policy */
  severity?: SeverityPolicy;
}

const DEFAULT_SEVERITY_POLICY = severityPolicyFrom(SeveritySchema.parse(undefined));

export interface PreparedIncident {
  pinned: PinnedRunbook;
  approverGroups: Record<string, string[]>;
  /** what the incident checks every person's decision with; from worker configuration, never from input */
  decisionKeys?: DecisionKeys;
  /** the severity policy, without secrets; absent in incidents prepared before it existed */
  severity?: SeverityPolicy;
}

/**
 * A drill rehearses the runbook it names, whatever its alert would match. Only for an exercise: the
 * label is honoured when Temporal says the workflow is one, so a real alert cannot choose its runbook.
 */
function drillRunbook(runbooks: PinnedRunbook[], alert: Alert): PinnedRunbook | undefined {
  const wanted = alert.labels[DRILL_RUNBOOK_LABEL];
  if (!wanted || !isExerciseId(Context.current().info.workflowExecution?.workflowId ?? '')) return undefined;
  const found = runbooks.find((r) => r.runbook.id === wanted);
  if (!found) throw ApplicationFailure.nonRetryable(`no runbook ${wanted} to drill`, 'UnknownRunbook');
  return found;
}

export function createIncidentActivities(deps: IncidentActivityDeps) {
  return {
    /**
     * Choose the runbook for the incident's first alert. Its content (and hash) goes into the
     * incident's history, so editing the file later never changes a running incident.
     */
    async prepareIncident(alert: Alert): Promise<PreparedIncident> {
      const { runbooks, problems } = readRunbooks(deps.runbooksDir, deps.knownStepTypes);
      // A runbook broken since the worker started is skipped, loudly; the incident still opens.
      for (const p of problems) log.warn('runbook skipped', { file: p.file, line: p.line, field: p.field, problem: p.message });
      const pinned = drillRunbook(runbooks, alert) ?? selectRunbook(runbooks, alert);
      return { pinned, approverGroups: deps.approverGroups, decisionKeys: deps.decisionKeys, severity: deps.severity ?? DEFAULT_SEVERITY_POLICY };
    },

    /** The public keys decisions are checked with, for workflows that learn them after starting. */
    async decisionKeys(): Promise<DecisionKeys> {
      return deps.decisionKeys;
    },

    /** Read current state and say what the step would change. Changes nothing. */
    async planStep(input: PlanInput): Promise<Plan> {
      const planner = deps.planners[input.type] ?? describeParams;
      return sealPlan(input, await planner(input));
    },
  };
}
