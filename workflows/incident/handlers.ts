/**
 * The incident's messages: alerts arrive as signals; people act through updates whose validators
 * refuse what the rules forbid before anything is recorded; queries read the state.
 */
import { setHandler } from '@temporalio/workflow';
import type { Alert } from '../../domain/alert';
import { rejectApproval } from '../../domain/approval';
import { shownKind } from '../../domain/display';
import { isTerminal } from '../../domain/incident';
import { maxSeverity } from '../../domain/severity';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertSignal,
  approveUpdate,
  closeNoActionUpdate,
  denyUpdate,
  resolveUpdate,
  retryStepUpdate,
  skipStepUpdate,
  stateQuery,
  stepCompensatedSignal,
  timelineQuery,
  type ApprovalRequest,
  type CompensationReport,
  type ResolveRequest,
  type StepActionRequest,
} from '../definitions';
import { stepRole } from '../steps';
import type { IncidentRun } from './run';

/** Alerts kept in full; the rest are counted (a storm must not bloat state or history). */
const ALERTS_KEPT = 20;
const DELIVERIES_REMEMBERED = 5_000;
const ALERTS_TIMELINED = 50;

export function registerHandlers(run: IncidentRun): void {
  const { state } = run;

  setHandler(alertSignal, (alert: Alert) => {
    if (run.seenDeliveries.has(alert.deliveryId)) return;
    run.seenDeliveries.add(alert.deliveryId);
    if (run.seenDeliveries.size > DELIVERIES_REMEMBERED) run.seenDeliveries.delete(run.seenDeliveries.values().next().value!);
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
      run.record(what, `${alert.source} ${shownKind(alert.kind)} (${alert.severity}); ${state.alertCount} alert(s) so far`, `alert:${alert.source}`);
    } else {
      run.wantAnnounce();
    }
  });

  setHandler(stateQuery, () => state);
  setHandler(timelineQuery, () => run.timeline);

  const notClosed = () => {
    if (isTerminal(state.status)) throw new Error(`incident is already ${state.status}`);
  };

  setHandler(
    acknowledgeUpdate,
    ({ by }) => {
      state.acknowledgedBy = by;
      run.record('incident.acknowledged', `acknowledged by ${by}`, by);
      return state;
    },
    {
      validator: ({ by }) => {
        if (!by) throw new Error('acknowledge needs a user');
        notClosed();
      },
    },
  );

  const needsReason = (verb: string) => ({ by, reason }: ResolveRequest) => {
    if (!by) throw new Error(`${verb} needs a user`);
    if (!reason?.trim()) throw new Error(`${verb} needs a reason`);
    notClosed();
  };

  setHandler(
    resolveUpdate,
    ({ by, reason }) => {
      state.resolution = reason;
      run.move('resolve', by, { reason });
      run.runbookScope?.cancel();
      return state;
    },
    { validator: needsReason('resolve') },
  );

  setHandler(
    closeNoActionUpdate,
    ({ by, reason }) => {
      state.resolution = reason;
      run.move('close-no-action', by, { reason });
      run.runbookScope?.cancel();
      return state;
    },
    {
      validator: (req) => {
        needsReason('close as no-action')(req);
        const changed = state.steps.filter((s) => stepRole(s.type) === 'contain' && s.status === 'succeeded').map((s) => s.id);
        if (changed.length > 0) throw new Error(`${changed.join(', ')} changed something: resolve the incident instead`);
      },
    },
  );

  setHandler(
    addNoteUpdate,
    ({ by, text }) => {
      state.notes += 1;
      run.record('incident.note', text, by);
      return state.notes;
    },
    { validator: ({ text }) => void (text?.trim() || failWith('a note needs text')) },
  );

  function validateDecision(req: ApprovalRequest, decision: 'approve' | 'deny'): void {
    // An approval names the plan it approves; a denial stops the step whatever the plan.
    if (decision === 'approve' && !req.planHash) throw new Error('an approval must name the hash of the plan it approves');
    const step = state.steps.find((s) => s.id === req.stepId);
    const policy = run.pinnedStep(req.stepId)?.approval;
    if (!step || !policy) throw new Error(`step ${req.stepId} has no approval gate`);
    if (step.status !== 'awaiting-approval') throw new Error(`step ${req.stepId} is ${step.status}, not awaiting approval`);
    if (!req.justification?.trim()) throw new Error('a justification is required');
    const why = rejectApproval({
      policy,
      approvals: step.approvals,
      by: req.by,
      requester: state.requester,
      groups: run.approverGroups,
      escalated: run.escalatedSteps.has(step.id),
      planHash: req.planHash,
      currentPlanHash: step.planHash ?? '',
    });
    if (why) throw new Error(why);
  }

  function decide(decision: 'approve' | 'deny') {
    return (req: ApprovalRequest) => {
      const step = state.steps.find((s) => s.id === req.stepId)!;
      step.approvals.push({ by: req.by, decision, justification: req.justification, at: run.now(), planHash: step.planHash ?? '' });
      run.record(
        decision === 'approve' ? 'approval.granted' : 'approval.denied',
        `${req.stepId} ${decision === 'approve' ? 'approved' : 'denied'} by ${req.by}`,
        req.by,
        { step: req.stepId, justification: req.justification },
      );
      return state;
    };
  }
  setHandler(approveUpdate, decide('approve'), { validator: (req) => validateDecision(req, 'approve') });
  setHandler(denyUpdate, decide('deny'), { validator: (req) => validateDecision(req, 'deny') });

  function validateStepAction({ by, stepId, reason }: StepActionRequest): void {
    if (!by) throw new Error('a step decision needs a user');
    if (!reason?.trim()) throw new Error('a step decision needs a reason');
    notClosed();
    const step = state.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`no step ${stepId} has run in this incident`);
    if (step.status !== 'failed' || !step.halted) throw new Error(`step ${stepId} is ${step.status}; only a failed step that halted the runbook can be retried or skipped`);
    if (run.stepDecisions.has(stepId)) throw new Error(`step ${stepId} already has a decision (${run.stepDecisions.get(stepId)})`);
  }
  setHandler(
    retryStepUpdate,
    ({ by, stepId, reason }) => {
      run.stepDecisions.set(stepId, 'retry');
      run.record('step.retry', `${stepId} run again by ${by}`, by, { step: stepId, reason });
      return state;
    },
    { validator: validateStepAction },
  );
  setHandler(
    skipStepUpdate,
    ({ by, stepId, reason }) => {
      run.stepDecisions.set(stepId, 'skip');
      run.record('step.skipped', `${stepId} skipped by ${by}; the runbook goes on`, by, { step: stepId, reason });
      return state;
    },
    { validator: validateStepAction },
  );

  // The undo workflow reports a compensation that ran: the step no longer holds.
  setHandler(stepCompensatedSignal, ({ by, stepId, reason, summary }: CompensationReport) => {
    const step = state.steps.find((s) => s.id === stepId);
    if (!step || step.status !== 'succeeded') return;
    step.status = 'compensated';
    step.undo = undefined;
    step.summary = `${step.summary ?? ''}; undone: ${summary}`;
    run.record('step.compensated', `${stepId} undone by ${by}: ${summary}`, by, { step: stepId, reason });
    const stillHeld = state.steps.some((s) => stepRole(s.type) === 'contain' && s.status === 'succeeded');
    if (!stillHeld) run.move('containment-undone', by, { step: stepId, reason });
  });
}

function failWith(message: string): never {
  throw new Error(message);
}
