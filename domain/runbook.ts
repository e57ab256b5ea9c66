import type { Alert } from './alert';
import type { Raci } from './raci';
import type { Severity } from './severity';

/** Durations in runbooks are Temporal-style strings: `30s`, `15m`, `2h`, `7d`. */
export type DurationString = string;

export interface ApprovalPolicy {
  /** approver group (configuration maps groups to user ids) */
  group: string;
  /** distinct approvers needed: 2 is the two-person rule */
  approvers: number;
  /** after this, the request escalates to `escalateTo` */
  timeout: DurationString;
  escalateTo?: string;
  /** after this (counted from the escalation), the step takes `onTimeout` */
  finalTimeout: DurationString;
  /** `proceed` is honoured only for critical incidents in runbooks with `autoContainment: true` */
  onTimeout: 'deny' | 'proceed';
}

export interface RetrySpec {
  maximumAttempts: number;
  initialInterval: DurationString;
}

export interface RunbookStep {
  id: string;
  /** a registered step type (see workflows/steps.ts) */
  type: string;
  /** parameters; strings may reference the alert as `${alert.subject.principal}` */
  with: Record<string, unknown>;
  approval?: ApprovalPolicy;
  timeout: DurationString;
  retry: RetrySpec;
  /** when true a failure is recorded and escalated, and the runbook goes on */
  continueOnError: boolean;
}

/** Steps run in order; a group runs its steps in parallel. */
export type RunbookEntry = { step: RunbookStep } | { parallel: RunbookStep[] };

export interface MatchRule {
  sources?: string[];
  /** glob patterns (`*` matches anything) on the alert kind */
  kinds?: string[];
  minSeverity?: Severity;
  /** label name → required value (`*` = present) */
  labels?: Record<string, string>;
}

export interface Runbook {
  id: string;
  title: string;
  description: string;
  /** higher wins when several runbooks match */
  priority: number;
  match: MatchRule[];
  /** the incident may involve PHI: start the breach-notification clock */
  phi: boolean;
  /** approval timeouts may proceed for critical severities */
  autoContainment: boolean;
  /** the group mentioned when a step fails and the incident escalates */
  escalationGroup?: string;
  /** who answers for the runbook being rehearsed: reminded when a drill of it is due */
  owner?: string;
  /** who is asked, told and allowed (domain/raci.ts); absent: the steps' own policies and the authority table alone */
  raci?: Raci;
  steps: RunbookEntry[];
  /** after containment: removing the cause (steps like any other: approvals, plans, undo) */
  eradicate?: RunbookEntry[];
  /** then: back to normal service */
  recover?: RunbookEntry[];
  /** what a person ticks off, with a note, before the incident leaves the item's phase */
  checklist?: ChecklistItem[];
}

/** The phases after containment, in the order an incident goes through them. */
export const PHASES = ['eradicate', 'recover'] as const;
export type Phase = (typeof PHASES)[number];

export interface ChecklistItem {
  id: string;
  phase: Phase;
  text: string;
}

/** The runbook has something to do after containment. */
export function hasPhases(runbook: Runbook): boolean {
  return PHASES.some((phase) => (runbook[phase]?.length ?? 0) > 0) || (runbook.checklist?.length ?? 0) > 0;
}

/** A runbook as pinned by a running incident: its content and the hash of its file. */
export interface PinnedRunbook {
  runbook: Runbook;
  contentHash: string;
  file: string;
}

/** Every step of the runbook: containment, then eradication, then recovery. */
export function stepsOf(runbook: Runbook): RunbookStep[] {
  return [...runbook.steps, ...(runbook.eradicate ?? []), ...(runbook.recover ?? [])].flatMap((entry) => ('step' in entry ? [entry.step] : entry.parallel));
}

const REFERENCE = /\$\{([a-zA-Z0-9_.]+)(\?)?\}/g;

function lookup(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Resolve `${alert.…}` references in step parameters against the incident's alerts.
 * A string that is exactly one reference takes the referenced value as is (so lists stay lists);
 * a reference inside a longer string is stringified. Unknown references resolve to undefined /
 * the empty string, and are reported so a plan can say what is missing; an optional reference
 * (`${alert.subject.sessionIssuer?}`) is not: it is for what some alerts carry and others do not.
 */
export function resolveParams(
  params: Record<string, unknown>,
  context: { alert: Alert; incident: { id: string; severity: Severity } },
): { params: Record<string, unknown>; missing: string[] } {
  const missing: string[] = [];
  const resolveValue = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{([a-zA-Z0-9_.]+)(\?)?\}$/.exec(value);
      if (whole) {
        const found = lookup(context, whole[1]!);
        if (found === undefined && !whole[2]) missing.push(whole[1]!);
        return found;
      }
      return value.replace(REFERENCE, (_, path: string, optional?: string) => {
        const found = lookup(context, path);
        if (found === undefined && !optional) missing.push(path);
        return found === undefined ? '' : String(found);
      });
    }
    if (Array.isArray(value)) return value.map(resolveValue).filter((v) => v !== undefined).flat();
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v)]));
    }
    return value;
  };
  return { params: resolveValue(params) as Record<string, unknown>, missing };
}
