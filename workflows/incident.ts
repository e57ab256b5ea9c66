/**
 * incidentWorkflow: one incident, from its first alert to resolution. It picks and pins a runbook,
 * runs its steps (approval gates, retries, escalation on failure), keeps a timeline, and answers
 * queries. Deterministic orchestration only: every side effect is an activity or child workflow.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditEvent } from '../activities/audit-sink';
import type { Alert } from '../domain/alert';
import { approvalOutcome, rejectApproval } from '../domain/approval';
import type { IncidentEvent, IncidentState, StepState, TimelineEntry } from '../domain/incident';
import { isTerminal, nextStatus } from '../domain/incident';
import type { PinnedRunbook, RunbookStep } from '../domain/runbook';
import { resolveParams } from '../domain/runbook';
import { maxSeverity } from '../domain/severity';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertSignal,
  approveUpdate,
  denyUpdate,
  incidentRunbookKey,
  incidentSeverityKey,
  incidentStatusKey,
  resolveUpdate,
  stateQuery,
  timelineQuery,
  type ApprovalRequest,
  type CarriedIncident,
  type IncidentInput,
} from './definitions';
import { duration, STEP_TYPES } from './steps';
import { startBreachClock } from './breach-clock-start';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10s', // ACTIVITY_HEARTBEAT_TIMEOUT (./activity-heartbeat)
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** The audit log must not lose a record: a full disk or a held lock is waited out, not given up on. */
const auditActs = proxyActivities<Pick<Activities, 'recordAudit'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10s', // ACTIVITY_HEARTBEAT_TIMEOUT (./activity-heartbeat)
  retry: { initialInterval: '1s', maximumInterval: '5 minutes' },
});

/** Alerts kept in full; the rest are counted (a storm must not bloat state or history). */
const ALERTS_KEPT = 20;
const DELIVERIES_REMEMBERED = 5_000;
const ALERTS_TIMELINED = 50;
const DEFAULT_HISTORY_LIMIT = 10_000;

function blankState(input: IncidentInput, now: string): IncidentState {
  return {
    id: input.id,
    title: '',
    severity: 'info',
    status: 'open',
    openedAt: now,
    firstObservedAt: now,
    requester: input.requester,
    alerts: [],
    alertCount: 0,
    resolvedAlerts: 0,
    steps: [],
    escalated: false,
    notes: 0,
  };
}

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const now = () => new Date().toISOString();
  const carried = input.carried;
  const state: IncidentState = carried?.state ?? blankState(input, now());
  const timeline: TimelineEntry[] = carried?.timeline ?? [];
  const seenDeliveries = new Set(carried?.seenDeliveries ?? []);
  let approverGroups = carried?.approverGroups ?? {};
  let pinned: PinnedRunbook | undefined = carried?.pinned;
  const escalatedSteps = new Set<string>();

  // Audit events and Slack updates leave through two background loops, so handlers stay
  // synchronous and a storm of alerts coalesces into one message update.
  const outbox: AuditEvent[] = [];
  let announceWanted = false;

  // Audit ids are `<runId>/<n>`: a retried recordAudit batch is appended once.
  let recorded = 0;
  function record(kind: string, message: string, actor: string, why: AuditEvent['why'] = {}): void {
    const at = now();
    timeline.push({ at, kind, message, actor });
    outbox.push({
      id: `${workflowInfo().runId}/${++recorded}`,
      who: actor,
      what: kind,
      when: at,
      where: 'worker',
      why: { incident: state.id, ...why },
      correlationId: state.id,
      details: { message },
    });
    announceWanted = true;
  }

  function move(event: IncidentEvent, actor: string, why: AuditEvent['why'] = {}): void {
    const next = nextStatus(state.status, event);
    if (!next) return;
    record('incident.status', `${state.status} → ${next}`, actor, why);
    state.status = next;
    if (next === 'contained') state.containedAt = now();
    if (next === 'resolved' || next === 'closed-no-action') state.resolvedAt = now();
    upsertSearchAttributes([{ key: incidentStatusKey, value: next }]);
  }

  function stepState(step: RunbookStep): StepState {
    let found = state.steps.find((s) => s.id === step.id);
    if (!found) {
      found = { id: step.id, type: step.type, status: 'pending', approvals: [] };
      state.steps.push(found);
    }
    return found;
  }

  // ---- messages -------------------------------------------------------------------------------

  setHandler(alertSignal, (alert: Alert) => {
    if (seenDeliveries.has(alert.deliveryId)) return;
    seenDeliveries.add(alert.deliveryId);
    if (seenDeliveries.size > DELIVERIES_REMEMBERED) seenDeliveries.delete(seenDeliveries.values().next().value!);
    if (state.alertCount === 0) {
      state.title = alert.title;
      state.firstObservedAt = alert.observedAt;
    }
    state.alertCount += 1;
    if (alert.status === 'resolved') state.resolvedAlerts += 1;
    state.severity = maxSeverity(state.severity, alert.severity);
    state.alerts.push(alert);
    if (state.alerts.length > ALERTS_KEPT) state.alerts.shift();
    if (state.alertCount <= ALERTS_TIMELINED || state.alertCount % 100 === 0) {
      const what = alert.status === 'resolved' ? 'alert.resolved' : 'alert.attached';
      record(what, `${alert.source} ${alert.kind} (${alert.severity}); ${state.alertCount} alert(s) so far`, `alert:${alert.source}`);
    } else {
      announceWanted = true;
    }
  });

  setHandler(stateQuery, () => state);
  setHandler(timelineQuery, () => timeline);

  setHandler(
    acknowledgeUpdate,
    ({ by }) => {
      state.acknowledgedBy = by;
      record('incident.acknowledged', `acknowledged by ${by}`, by);
      return state;
    },
    {
      validator: ({ by }) => {
        if (!by) throw new Error('acknowledge needs a user');
        if (isTerminal(state.status)) throw new Error(`incident is already ${state.status}`);
      },
    },
  );

  let runbookScope: CancellationScope | undefined;
  setHandler(
    resolveUpdate,
    ({ by, reason }) => {
      state.resolution = reason;
      move('resolve', by, { reason });
      runbookScope?.cancel();
      return state;
    },
    {
      validator: ({ by, reason }) => {
        if (!by) throw new Error('resolve needs a user');
        if (!reason?.trim()) throw new Error('resolve needs a reason');
        if (isTerminal(state.status)) throw new Error(`incident is already ${state.status}`);
      },
    },
  );

  setHandler(
    addNoteUpdate,
    ({ by, text }) => {
      state.notes += 1;
      record('incident.note', text, by);
      return state.notes;
    },
    { validator: ({ text }) => void (text?.trim() || failWith('a note needs text')) },
  );

  function validateDecision(req: ApprovalRequest): void {
    const step = state.steps.find((s) => s.id === req.stepId);
    const policy = pinnedStep(req.stepId)?.approval;
    if (!step || !policy) throw new Error(`step ${req.stepId} has no approval gate`);
    if (step.status !== 'awaiting-approval') throw new Error(`step ${req.stepId} is ${step.status}, not awaiting approval`);
    if (!req.justification?.trim()) throw new Error('a justification is required');
    const why = rejectApproval({
      policy,
      approvals: step.approvals,
      by: req.by,
      requester: state.requester,
      groups: approverGroups,
      escalated: escalatedSteps.has(step.id),
      planHash: req.planHash,
      currentPlanHash: step.planHash ?? '',
    });
    if (why) throw new Error(why);
  }

  function decide(decision: 'approve' | 'deny') {
    return (req: ApprovalRequest) => {
      const step = state.steps.find((s) => s.id === req.stepId)!;
      step.approvals.push({ by: req.by, decision, justification: req.justification, at: now(), planHash: step.planHash ?? '' });
      record(
        decision === 'approve' ? 'approval.granted' : 'approval.denied',
        `${req.stepId} ${decision === 'approve' ? 'approved' : 'denied'} by ${req.by}`,
        req.by,
        { step: req.stepId, justification: req.justification },
      );
      return state;
    };
  }
  setHandler(approveUpdate, decide('approve'), { validator: validateDecision });
  setHandler(denyUpdate, decide('deny'), { validator: validateDecision });

  function pinnedStep(stepId: string): RunbookStep | undefined {
    return pinned?.runbook.steps
      .flatMap((entry) => ('step' in entry ? [entry.step] : entry.parallel))
      .find((s) => s.id === stepId);
  }

  /**
   * Telling people is best effort: a Slack that refuses for good (bot not in the channel, a revoked
   * token) is recorded on the timeline and in the audit log, and the incident goes on.
   */
  async function tell<T>(what: string, send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await send();
    } catch (err) {
      if (isCancellation(err)) throw err;
      record('notify.failed', `could not send ${what}: ${failureMessage(err)}`, 'worker');
      return undefined;
    }
  }

  // ---- background loops -----------------------------------------------------------------------

  let flushing = false;
  const quiet = () => outbox.length === 0 && !flushing && !announceWanted;
  void (async () => {
    for (;;) {
      await condition(() => outbox.length > 0 || announceWanted);
      flushing = true;
      const batch = outbox.splice(0);
      const announce = announceWanted;
      announceWanted = false;
      if (batch.length > 0) await auditActs.recordAudit(batch);
      if (announce && state.alertCount > 0) {
        const ref = await tell('the incident message', () => acts.announceIncident(state));
        if (ref) state.slack = ref;
      }
      flushing = false;
    }
  })();

  // ---- the runbook ----------------------------------------------------------------------------

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;

  async function carryOn(): Promise<never> {
    await condition(() => allHandlersFinished() && quiet());
    const next: CarriedIncident = { state, timeline, seenDeliveries: [...seenDeliveries], approverGroups, pinned };
    return continueAsNew<typeof incidentWorkflow>({ ...input, carried: next });
  }

  async function awaitDecision(step: RunbookStep, st: StepState): Promise<'approved' | 'denied'> {
    const policy = step.approval!;
    const decided = () => approvalOutcome(policy, st.approvals) !== 'pending' || isTerminal(state.status);
    if (await condition(decided, duration(policy.timeout))) return outcomeOrDenied(policy, st);
    escalatedSteps.add(step.id);
    record('approval.escalated', `no decision on ${step.id} within ${policy.timeout}`, 'worker', { step: step.id });
    await tell('the approval escalation', () =>
      acts.escalate({
        incidentId: state.id,
        stepId: step.id,
        group: policy.escalateTo,
        message: `approval for ${step.id} timed out after ${policy.timeout}`,
      }),
    );
    if (await condition(decided, duration(policy.finalTimeout))) return outcomeOrDenied(policy, st);
    const proceed = policy.onTimeout === 'proceed' && pinned!.runbook.autoContainment && state.severity === 'critical';
    record(
      'approval.timeout',
      `${step.id}: no decision; runbook default is to ${proceed ? 'proceed (critical, auto-containment)' : 'deny'}`,
      'worker',
      { step: step.id },
    );
    return proceed ? 'approved' : 'denied';
  }

  function outcomeOrDenied(policy: NonNullable<RunbookStep['approval']>, st: StepState): 'approved' | 'denied' {
    return approvalOutcome(policy, st.approvals) === 'approved' ? 'approved' : 'denied';
  }

  function currentParams(step: RunbookStep) {
    const alert = state.alerts[state.alerts.length - 1]!;
    return resolveParams(step.with, { alert, incident: { id: state.id, severity: state.severity } });
  }

  /** Ask until the approved plan is still the plan right before running (approval bound to action). */
  async function gate(step: RunbookStep, st: StepState): Promise<boolean> {
    for (;;) {
      const plan = await acts.planStep({ type: step.type, params: currentParams(step).params, incidentId: state.id, stepId: step.id });
      if (st.status === 'awaiting-approval' && st.planHash === plan.hash) return true;
      if (st.status === 'awaiting-approval') {
        record('approval.voided', `${step.id}: the plan changed after approval; asking again`, 'worker', { step: step.id });
      }
      st.plan = plan.lines;
      st.planHash = plan.hash;
      st.approvals = [];
      escalatedSteps.delete(step.id);
      st.status = 'awaiting-approval';
      record('approval.requested', `${step.id} needs ${step.approval!.approvers} approval(s) from ${step.approval!.group}`, 'worker', { step: step.id });
      // Unsent, the approval can still be given from the CLI; the timeout escalates as usual.
      await tell('the approval request', () =>
        acts.requestApproval({
          incidentId: state.id,
          incidentTitle: state.title,
          stepId: step.id,
          stepType: step.type,
          plan: plan.lines,
          planHash: plan.hash,
          group: step.approval!.group,
          approvers: step.approval!.approvers,
          requester: state.requester,
          escalation: step.approval!.escalateTo,
        }),
      );
      if ((await awaitDecision(step, st)) === 'denied') return false;
      // loop: re-plan; if it still hashes the same, the approval stands
    }
  }

  /** Runs one step; true when the runbook may go on. */
  async function runStep(step: RunbookStep): Promise<boolean> {
    const st = stepState(step);
    // Finished before a continue-as-new: never run twice.
    if (['succeeded', 'denied', 'skipped'].includes(st.status)) return true;
    if (st.status === 'failed') return step.continueOnError;
    const runner = STEP_TYPES[step.type];
    if (!runner) {
      // The loader rejects unknown types; a runbook pinned by an older version may still name one.
      st.status = 'failed';
      st.error = `unknown step type ${step.type}`;
      await escalateFailure(step, st);
      return step.continueOnError;
    }
    const { missing } = currentParams(step);
    if (missing.length > 0) {
      st.status = 'failed';
      st.error = `the alerts do not provide ${missing.join(', ')}`;
      await escalateFailure(step, st);
      return step.continueOnError;
    }
    if (step.approval && !(await gate(step, st))) {
      st.status = 'denied';
      record('step.denied', `${step.id} was not approved; skipped`, 'worker', { step: step.id });
      return true;
    }
    st.status = 'running';
    st.startedAt = now();
    record('step.started', `${step.id} (${step.type})`, 'worker', { step: step.id });
    try {
      const outcome = await runner(step, { incidentId: state.id, stepId: step.id, params: currentParams(step).params, planHash: st.planHash });
      st.status = 'succeeded';
      st.summary = outcome.summary;
      st.undo = outcome.undo;
      st.finishedAt = now();
      record('step.succeeded', `${step.id}: ${outcome.summary}`, 'worker', { step: step.id });
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      st.status = 'failed';
      st.finishedAt = now();
      st.error = failureMessage(err);
      await escalateFailure(step, st);
      return step.continueOnError;
    }
  }

  async function escalateFailure(step: RunbookStep, st: StepState): Promise<void> {
    state.escalated = true;
    const undos = state.steps.filter((s) => s.undo).reverse();
    const offer = undos.length > 0 ? ` Undo available (newest first): ${undos.map((s) => `${s.id}: ${s.undo!.description}`).join('; ')}` : '';
    record('step.failed', `${step.id} failed: ${st.error}`, 'worker', { step: step.id });
    await tell('the failure escalation', () =>
      acts.escalate({
        incidentId: state.id,
        stepId: step.id,
        group: pinned?.runbook.escalationGroup,
        message: `step ${step.id} (${step.type}) failed: ${st.error}.${offer}`,
      }),
    );
  }

  async function runRunbook(runbook: PinnedRunbook['runbook']): Promise<boolean> {
    for (const entry of runbook.steps) {
      if (historyFull()) await carryOn();
      const steps = 'step' in entry ? [entry.step] : entry.parallel;
      const results = await Promise.all(steps.map(runStep));
      if (results.includes(false)) return false;
      if (isTerminal(state.status)) return false;
    }
    return true;
  }

  // ---- main -----------------------------------------------------------------------------------

  await condition(() => state.alertCount > 0);
  if (!pinned) {
    const prepared = await acts.prepareIncident(state.alerts[0]!);
    pinned = prepared.pinned;
    approverGroups = prepared.approverGroups;
    state.runbook = { id: pinned.runbook.id, title: pinned.runbook.title, contentHash: pinned.contentHash };
    upsertSearchAttributes([
      { key: incidentStatusKey, value: state.status },
      { key: incidentSeverityKey, value: state.severity },
      { key: incidentRunbookKey, value: pinned.runbook.id },
    ]);
    record('incident.opened', `runbook ${pinned.runbook.id} (${pinned.contentHash.slice(0, 12)})`, input.requester);
    if (pinned.runbook.phi) {
      const started = await startBreachClock(state.id, state.openedAt);
      if (started) record('breach-clock.started', started, 'worker');
    }
  }

  if (!isTerminal(state.status) && state.status !== 'contained') {
    move('containment-started', 'worker');
    runbookScope = new CancellationScope();
    let completed = false;
    try {
      completed = await runbookScope.run(() => runRunbook(pinned!.runbook));
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    for (const st of state.steps) {
      if (['pending', 'awaiting-approval', 'running'].includes(st.status)) {
        st.status = 'skipped';
        st.summary = `not finished: incident ${state.status}`;
      }
    }
    if (completed && !state.escalated) {
      // A declined containment step is not containment: the incident stays containing for a person.
      const declined = state.steps.filter((st) => st.status === 'denied').map((st) => st.id);
      if (declined.length > 0 && patched('declined-not-contained')) {
        record('containment.declined', `${declined.join(', ')} not approved: not contained; resolve when handled`, 'worker');
      } else move('containment-finished', 'worker');
    }
  }

  // Wait for a person to resolve; a long wait with many alerts continues as new.
  for (;;) {
    await condition(() => isTerminal(state.status) || historyFull());
    if (isTerminal(state.status)) break;
    await carryOn();
  }
  await condition(() => allHandlersFinished() && quiet());
  return state;
}

function failWith(message: string): never {
  throw new Error(message);
}

function failureMessage(err: unknown): string {
  // ActivityFailure / ChildWorkflowFailure wrap the real cause.
  let e = err as { message?: string; cause?: unknown };
  while (e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e.message ?? String(err);
}
