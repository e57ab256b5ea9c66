/**
 * The incident's messages: alerts arrive as signals; people act through updates whose validators
 * refuse what the rules forbid before anything is recorded; queries read the state.
 */
import { patched, setHandler } from '@temporalio/workflow';
import type { Alert } from '../../domain/alert';
import { rejectApproval } from '../../domain/approval';
import { shownKind } from '../../domain/display';
import { approvalSubject, checklistSubject, noSubject, roleSubject, stepSubject, undoSubject } from '../../domain/decision-subjects';
import { isTerminal } from '../../domain/incident';
import { rejectEnding } from '../../domain/raci';
import { rejectRoleAssignment } from '../../domain/roles';
import { maxSeverity } from '../../domain/severity';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertSignal,
  approveUpdate,
  assignRoleUpdate,
  checkItemUpdate,
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
import { groupsOf, notAuthorised } from '../decision-guard';
import { stepRole } from '../steps';
import type { IncidentRun } from './run';

/** Alerts kept in full; the rest are counted (a storm must not bloat state or history). */
const ALERTS_KEPT = 20;
const DELIVERIES_REMEMBERED = 5_000;
const ALERTS_TIMELINED = 50;

/** The undo workflow's work can outlast a fresh grant; its report is still the person's decision. */
const COMPENSATION_REPORT_MAX_AGE_MS = 24 * 3_600_000;

/** domain/approval.ts `rejectApproval`'s reasons that are about who decides. */
const AUTHORITY_REFUSALS = /is not in the approver group|requested this action/;

export function registerHandlers(run: IncidentRun): void {
  const { state, decisions } = run;

  setHandler(alertSignal, (alert: Alert) => {
    // What the codec leaves of a payload that was not encrypted (or anything else that is no alert).
    if (typeof alert?.deliveryId !== 'string' || typeof alert.fingerprint !== 'string') {
      run.record('signal.refused', 'an alert signal that is not an alert from the ingress was ignored', 'unverified', {}, { announce: false });
      return;
    }
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
    (req) => {
      const { by, via } = decisions.accept(req);
      state.acknowledgedBy = by;
      state.acknowledgedAt ??= run.now();
      run.record('incident.acknowledged', `acknowledged by ${by}`, by, {}, { where: via });
      return state;
    },
    {
      validator: ({ proof }) => {
        notClosed();
        decisions.check(proof, { action: 'acknowledge', subject: noSubject() });
      },
    },
  );

  const needsReason = (verb: string, action: 'resolve' | 'close-no-action') => ({ proof, reason }: ResolveRequest) => {
    if (!reason?.trim()) throw new Error(`${verb} needs a reason`);
    notClosed();
    const grant = decisions.check(proof, { action, subject: noSubject() });
    // A runbook with a RACI is ended by its responsible or accountable people (or the incident
    // commander), from the grant's groups as approvals are; without one, the authority table alone.
    const holders = Object.fromEntries(Object.entries(state.roles ?? {}).map(([role, holder]) => [role, holder.person]));
    const why = rejectEnding({ raci: run.pinned?.runbook.raci, runbookId: run.pinned?.runbook.id ?? '', by: grant.by, groups: grant.groups, holders, verb });
    if (why) throw notAuthorised(why);
  };

  setHandler(
    resolveUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      state.resolution = req.reason;
      run.move('resolve', by, { reason: req.reason }, via);
      run.runbookScope?.cancel();
      return state;
    },
    { validator: needsReason('resolve', 'resolve') },
  );

  setHandler(
    closeNoActionUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      state.resolution = req.reason;
      run.move('close-no-action', by, { reason: req.reason }, via);
      run.runbookScope?.cancel();
      return state;
    },
    {
      validator: (req) => {
        needsReason('close as no-action', 'close-no-action')(req);
        const changed = state.steps.filter((s) => stepRole(s.type) === 'contain' && s.status === 'succeeded').map((s) => s.id);
        if (changed.length > 0) throw new Error(`${changed.join(', ')} changed something: resolve the incident instead`);
      },
    },
  );

  setHandler(
    addNoteUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      state.notes += 1;
      run.record('incident.note', req.text, by, {}, { where: via });
      return state.notes;
    },
    {
      validator: ({ proof, text }) => {
        if (!text?.trim()) failWith('a note needs text');
        decisions.check(proof, { action: 'note', subject: noSubject() });
      },
    },
  );

  // A role assigned or handed over; the handover names who held it before.
  setHandler(
    assignRoleUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      const roles = (state.roles ??= {});
      const previous = roles[req.role]?.person;
      roles[req.role] = { person: req.person, since: run.now(), by };
      const text = previous ? `${req.role} handed over from ${previous} to ${req.person}` : `${req.role}: ${req.person}`;
      run.record(previous ? 'role.handed-over' : 'role.assigned', text, by, req.reason?.trim() ? { reason: req.reason } : {}, { where: via });
      return state;
    },
    {
      validator: ({ proof, role, person }) => {
        notClosed();
        const why = rejectRoleAssignment(role, person);
        if (why) failWith(why);
        if (state.roles?.[role]?.person === person) failWith(`${person} already holds ${role}`);
        decisions.check(proof, { action: 'role.assign', subject: roleSubject(role, person) });
      },
    },
  );

  // A checklist item of an eradication or recovery phase, ticked off once, with what was done.
  setHandler(
    checkItemUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      const item = state.checklist!.find((i) => i.id === req.itemId)!;
      Object.assign(item, { checkedBy: by, checkedAt: run.now(), note: req.note });
      run.record('checklist.checked', `${item.id} (${item.phase}): ${req.note}`, by, { reason: req.note }, { where: via });
      return state;
    },
    {
      validator: ({ proof, itemId, note }) => {
        notClosed();
        const item = state.checklist?.find((i) => i.id === itemId);
        if (!item) failWith(`no checklist item ${itemId} (items: ${(state.checklist ?? []).map((i) => i.id).join(', ') || 'none'})`);
        if (item.checkedAt) failWith(`${itemId} was checked by ${item.checkedBy} at ${item.checkedAt}`);
        if (!note?.trim()) failWith('a checked item needs a note of what was done');
        decisions.check(proof, { action: 'checklist.check', subject: checklistSubject(itemId) });
      },
    },
  );

  function validateDecision(req: ApprovalRequest, decision: 'approve' | 'deny'): void {
    // An approval names the plan it approves; a denial stops the step whatever the plan.
    if (decision === 'approve' && !req.planHash) throw new Error('an approval must name the hash of the plan it approves');
    const step = state.steps.find((s) => s.id === req.stepId);
    const policy = run.pinnedStep(req.stepId)?.approval;
    if (!step || !policy) throw new Error(`step ${req.stepId} has no approval gate`);
    if (step.status !== 'awaiting-approval') throw new Error(`step ${req.stepId} is ${step.status}, not awaiting approval`);
    if (!req.justification?.trim()) throw new Error('a justification is required');
    const grant = decisions.check(req.proof, { action: decision, subject: approvalSubject(req.stepId, req.planHash) });
    // The grant's groups are the person's when they decided: a group change reaches running incidents.
    const why = rejectApproval({
      policy,
      approvals: step.approvals,
      by: grant.by,
      requester: state.requester,
      groups: groupsOf(grant),
      escalated: run.escalatedSteps.has(step.id),
      planHash: req.planHash,
      currentPlanHash: step.planHash ?? '',
    });
    // Group and requester ≠ approver are authority (the ingress answers 403); a duplicate or a stale plan is not.
    if (why) throw AUTHORITY_REFUSALS.test(why) ? notAuthorised(why) : new Error(why);
  }

  function decide(decision: 'approve' | 'deny') {
    return (req: ApprovalRequest) => {
      const { by, via } = decisions.accept(req);
      const step = state.steps.find((s) => s.id === req.stepId)!;
      step.approvals.push({ by, decision, justification: req.justification, at: run.now(), planHash: step.planHash ?? '' });
      run.record(
        decision === 'approve' ? 'approval.granted' : 'approval.denied',
        `${req.stepId} ${decision === 'approve' ? 'approved' : 'denied'} by ${by}`,
        by,
        { step: req.stepId, justification: req.justification },
        { where: via },
      );
      return state;
    };
  }
  setHandler(approveUpdate, decide('approve'), { validator: (req) => validateDecision(req, 'approve') });
  setHandler(denyUpdate, decide('deny'), { validator: (req) => validateDecision(req, 'deny') });

  const validateStepAction = (action: 'step.retry' | 'step.skip') => ({ proof, stepId, reason }: StepActionRequest): void => {
    if (!reason?.trim()) throw new Error('a step decision needs a reason');
    notClosed();
    const step = state.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`no step ${stepId} has run in this incident`);
    if (step.status !== 'failed' || !step.halted) throw new Error(`step ${stepId} is ${step.status}; only a failed step that halted the runbook can be retried or skipped`);
    if (run.stepDecisions.has(stepId)) throw new Error(`step ${stepId} already has a decision (${run.stepDecisions.get(stepId)})`);
    decisions.check(proof, { action, subject: stepSubject(stepId) });
  };
  setHandler(
    retryStepUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      run.stepDecisions.set(req.stepId, 'retry');
      run.record('step.retry', `${req.stepId} run again by ${by}`, by, { step: req.stepId, reason: req.reason }, { where: via });
      return state;
    },
    { validator: validateStepAction('step.retry') },
  );
  setHandler(
    skipStepUpdate,
    (req) => {
      const { by, via } = decisions.accept(req);
      run.stepDecisions.set(req.stepId, 'skip');
      run.record('step.skipped', `${req.stepId} skipped by ${by}; the runbook goes on`, by, { step: req.stepId, reason: req.reason }, { where: via });
      return state;
    },
    { validator: validateStepAction('step.skip') },
  );

  // The undo workflow reports a compensation that ran: the step no longer holds.
  setHandler(stepCompensatedSignal, (report: CompensationReport) => {
    const { stepId, reason, summary } = report;
    const step = state.steps.find((s) => s.id === stepId);
    if (!step || step.status !== 'succeeded') return;
    let actor = { by: report.by ?? 'unknown', via: 'worker' };
    if (patched('decision-proofs')) {
      // A signal cannot be refused: an unproven report changes nothing and is put on the record.
      const verified = step.undo
        ? decisions.acceptSignal(report.proof, { action: 'undo', subject: undoSubject(stepId, step.undo), maxAgeMs: COMPENSATION_REPORT_MAX_AGE_MS })
        : `step ${stepId} offers no undo`;
      if (typeof verified === 'string') {
        run.record('decision.refused', `a report that ${stepId} was undone was ignored: ${verified}`, 'unverified', { step: stepId, reason: verified }, { announce: false });
        return;
      }
      actor = verified;
    }
    step.status = 'compensated';
    step.undo = undefined;
    step.summary = `${step.summary ?? ''}; undone: ${summary}`;
    run.record('step.compensated', `${stepId} undone by ${actor.by}: ${summary}`, actor.by, { step: stepId, reason }, { where: actor.via });
    run.noteWrites(step, report.writes);
    const stillHeld = state.steps.some((s) => stepRole(s.type) === 'contain' && s.status === 'succeeded');
    if (!stillHeld) run.move('containment-undone', actor.by, { step: stepId, reason }, actor.via);
  });
}

function failWith(message: string): never {
  throw new Error(message);
}
