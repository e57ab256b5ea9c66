import type { Alert } from './alert';
import type { Raci } from './raci';
import type { IncidentRoles } from './roles';
import type { ChecklistItem } from './runbook';
import type { Severity } from './severity';
import type { TargetState } from './severity-policy';

export const INCIDENT_STATUSES = ['open', 'containing', 'contained', 'eradicating', 'recovering', 'recovered', 'resolved', 'closed-no-action'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export type IncidentEvent =
  | 'containment-started'
  | 'containment-finished'
  | 'containment-undone'
  | 'eradication-started'
  | 'recovery-started'
  | 'recovery-finished'
  | 'resolve'
  | 'close-no-action';

/**
 * The lifecycle as a table: status × event → next status. Missing cells are illegal moves.
 * `open` is triage: a person owns the incident until it is resolved or closed as no-action.
 * `containing` starts with the first containment step; `contained` needs one that succeeded (and
 * goes back to `containing` when the last of them is undone). Closing as no-action is for an
 * incident where nothing was changed; the workflow refuses it once a containment step succeeded.
 * A runbook with `eradicate:` or `recover:` sections (or checklist items) goes on from `contained`
 * through `eradicating` and `recovering` to `recovered`; undoing the last containment on the way
 * goes back to `containing`. Resolving stays open to a person throughout.
 */
const TRANSITIONS: Record<IncidentStatus, Partial<Record<IncidentEvent, IncidentStatus>>> = {
  open: { 'containment-started': 'containing', resolve: 'resolved', 'close-no-action': 'closed-no-action' },
  containing: { 'containment-finished': 'contained', resolve: 'resolved', 'close-no-action': 'closed-no-action' },
  contained: { resolve: 'resolved', 'containment-undone': 'containing', 'eradication-started': 'eradicating', 'recovery-started': 'recovering', 'recovery-finished': 'recovered' },
  eradicating: { resolve: 'resolved', 'containment-undone': 'containing', 'recovery-started': 'recovering', 'recovery-finished': 'recovered' },
  recovering: { resolve: 'resolved', 'containment-undone': 'containing', 'recovery-finished': 'recovered' },
  recovered: { resolve: 'resolved', 'containment-undone': 'containing' },
  resolved: {},
  'closed-no-action': {},
};

export function nextStatus(status: IncidentStatus, event: IncidentEvent): IncidentStatus | undefined {
  return TRANSITIONS[status][event];
}

export function isTerminal(status: IncidentStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}

export type StepStatus =
  | 'pending'
  | 'awaiting-approval'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'denied'
  | 'skipped'
  | 'compensated';

/** A compensation a responder may choose to run; offered, never automatic. */
export interface Undo {
  type: string;
  params: Record<string, unknown>;
  description: string;
}

export interface Approval {
  by: string;
  decision: 'approve' | 'deny';
  justification: string;
  at: string;
  /** hash of the step's plan the approver saw; a changed plan voids the approval */
  planHash: string;
}

export interface StepState {
  id: string;
  type: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  /** a short, PHI-free account of what the step did or why it failed */
  summary?: string;
  error?: string;
  approvals: Approval[];
  /** human-readable plan lines, shown to approvers */
  plan?: string[];
  planHash?: string;
  /** set once the step succeeded and its effect can be undone */
  undo?: Undo;
  /**
   * the parameters the step runs with, resolved from the alerts when it first asked for approval
   * (or started, without a gate) and frozen from then on: a later alert cannot change what runs
   */
  params?: Record<string, unknown>;
  /** ledger ids of the AWS writes the step (and its undo) made: `audit verify` finds each on the ledger */
  writes?: string[];
  /** failed and halting the runbook: a person retries it, skips it, or resolves the incident */
  halted?: boolean;
  /** how many times the step ran (retries by a person count) */
  runs?: number;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  message: string;
  actor: string;
}

export interface RunbookRef {
  id: string;
  title: string;
  contentHash: string;
}

export interface IncidentState {
  id: string;
  title: string;
  severity: Severity;
  /** the severity policy's level (domain/severity-policy.ts), once the runbook is pinned */
  level?: string;
  /** the level's response targets, met, missed or pending */
  targets?: TargetState[];
  status: IncidentStatus;
  openedAt: string;
  acknowledgedBy?: string;
  /** who holds each incident role now (domain/roles.ts); absent until one is assigned */
  roles?: IncidentRoles;
  /** the first acknowledgement (MTTA); later ones do not move it */
  acknowledgedAt?: string;
  resolvedAt?: string;
  resolution?: string;
  /** the first alert's observed time: MTTD = openedAt - observedAt */
  firstObservedAt: string;
  containedAt?: string;
  /** when the last phase after containment finished (MTTR counts to it) */
  recoveredAt?: string;
  /** the pinned runbook's checklist, each item with who ticked it off, when and why */
  checklist?: ChecklistEntry[];
  /** who asked for this incident (a user for manual incidents, `alert:<source>` otherwise) */
  requester: string;
  runbook?: RunbookRef;
  /** the pinned runbook's RACI, when it has one: its informed groups are mentioned on the incident's message */
  raci?: Raci;
  alerts: Alert[];
  /** deliveries already attached, so retries of the same delivery attach once */
  alertCount: number;
  resolvedAlerts: number;
  steps: StepState[];
  /** the runbook ran to its end (its outcome is on the timeline) */
  runbookDone?: boolean;
  escalated: boolean;
  notes: number;
  /** the incident's chat message, once posted, so every later announce edits it in place */
  slack?: ChatMessageRef;
}

/** Where a posted chat message lives: enough to update it after a worker restart. */
export interface ChatMessageRef {
  channel: string;
  ts: string;
}

export interface ChecklistEntry extends ChecklistItem {
  checkedBy?: string;
  checkedAt?: string;
  note?: string;
}
