/**
 * Running a runbook's steps. No error escapes a step: unknown types, missing parameters, planning,
 * the approval gate, a playbook or activity that exhausted its retries — each becomes the step's
 * failure, on the timeline, escalated once. A failed step halts the runbook until a person retries
 * or skips it (or resolves the incident), unless the step says `continueOnError`; telling steps are
 * best effort and never halt it.
 */
import { patched } from '@temporalio/workflow';
import { planDiff } from '../../domain/approval';
import { isExerciseId } from '../../domain/ids';
import { isTerminal, type StepState } from '../../domain/incident';
import type { RunbookEntry, RunbookStep } from '../../domain/runbook';
import type { StepOutcome } from '../../activities/step';
import { STEP_TYPES, stepRole } from '../steps';
import { gate } from './approval-gate';
import { failureMessage, isControlFlow, planChangeOf } from './failures';
import { acts, type IncidentRun } from './run';

/** Runs a section of the runbook (its containment steps, or a phase's) from where it stands; true when every entry is done. */
export async function runEntries(run: IncidentRun, entries: RunbookEntry[]): Promise<boolean> {
  for (const entry of entries) {
    if (run.historyFull()) await run.carryOn();
    const steps = 'step' in entry ? [entry.step] : entry.parallel;
    const results = await Promise.all(steps.map((step) => runStep(run, step)));
    if (results.includes(false)) return false;
    if (isTerminal(run.state.status)) return false;
  }
  return true;
}

/**
 * Runs one step; true when the runbook may go on past it. One function on purpose: its awaits are
 * the ones histories recorded before this file existed replay against.
 */
async function runStep(run: IncidentRun, step: RunbookStep): Promise<boolean> {
  const st = run.stepState(step);
  // Finished before a continue-as-new or a person's retry elsewhere: never run twice.
  if (['succeeded', 'denied', 'skipped', 'compensated'].includes(st.status)) return true;
  if (st.status === 'failed' && !takeDecision(run, step, st)) {
    // A failure from before halting existed halted unless continueOnError.
    return st.halted === undefined ? step.continueOnError : !st.halted;
  }
  for (;;) {
    try {
      const type = STEP_TYPES[step.type];
      // The loader rejects unknown types; a runbook pinned by an older version may still name one.
      if (!type) throw new Error(`unknown step type ${step.type}`);
      if (run.containmentAtFirstStep && type.role === 'contain') run.move('containment-started', 'worker');
      if (!st.params) {
        const { params, missing } = run.resolveStepParams(step);
        if (missing.length > 0) throw new Error(`the alerts do not provide ${missing.join(', ')}`);
        // Frozen from here: what the approvers see is what runs, whatever alerts arrive meanwhile.
        st.params = params;
      }
      if (step.approval && !(await gate(run, step, st))) {
        // Closed while asking: nobody denied it; it is left unfinished (skipped) with the runbook.
        if (isTerminal(run.state.status) && patched('closed-while-asking')) return false;
        st.status = 'denied';
        run.record('step.denied', `${step.id} was not approved; skipped`, 'worker', { step: step.id });
        return true;
      }
      st.status = 'running';
      st.startedAt = run.now();
      st.runs = (st.runs ?? 0) + 1;
      run.record('step.started', `${step.id} (${step.type})`, 'worker', { step: step.id });
      const approvedBy = st.approvals.filter((a) => a.decision === 'approve').map((a) => a.by);
      // A drill tells people for real but changes nothing: the step reports what it would have done.
      const outcome = isExerciseId(run.state.id) && type.role !== 'tell' ? wouldHave(step, st) : await type.run(step, { incidentId: run.state.id, stepId: step.id, params: st.params, planHash: st.planHash, approvedBy });
      st.status = 'succeeded';
      st.summary = outcome.summary;
      st.undo = outcome.undo;
      st.finishedAt = run.now();
      run.record('step.succeeded', `${step.id}: ${outcome.summary}`, 'worker', { step: step.id });
      run.noteWrites(st, outcome.writes);
      return true;
    } catch (err) {
      if (isControlFlow(err)) throw err;
      const change = planChangeOf(err);
      if (change && step.approval) {
        run.record(
          'approval.voided',
          `${step.id}: the plan changed after approval; nothing was changed; asking again (${planDiff(st.plan ?? [], change.lines).join('; ')})`,
          'worker',
          { step: step.id },
        );
        st.status = 'pending';
        continue;
      }
      st.status = 'failed';
      st.finishedAt = run.now();
      st.error = failureMessage(err);
      if (stepRole(step.type) === 'tell' && patched('best-effort-notify')) {
        st.halted = false;
        run.record('notify.failed', `${step.id} could not tell the responders: ${st.error}; the runbook goes on`, 'worker', { step: step.id }, { announce: false });
        return true;
      }
      st.halted = !step.continueOnError;
      await escalateFailure(run, step, st);
      return step.continueOnError;
    }
  }
}

/** An exercise's step outcome: the approved plan (planned from real state), never applied. */
function wouldHave(step: RunbookStep, st: StepState): StepOutcome {
  const plan = st.plan && st.plan.length > 0 ? st.plan.join('; ') : `${step.type} with ${Object.keys(st.params ?? {}).sort().join(', ') || 'no parameters'}`;
  return { summary: `exercise: would have ${plan}` };
}

/** A person's retry or skip of this halted step; false while nobody has decided. */
function takeDecision(run: IncidentRun, step: RunbookStep, st: StepState): boolean {
  const decision = run.stepDecisions.get(step.id);
  if (!decision || !st.halted) return false;
  run.stepDecisions.delete(step.id);
  st.halted = false;
  if (decision === 'skip') {
    st.status = 'skipped';
    return false;
  }
  // Run again from the start: fresh parameters from the latest alert, a fresh plan and approval.
  Object.assign(st, { status: 'pending', error: undefined, params: undefined, plan: undefined, planHash: undefined, approvals: [] });
  return true;
}

async function escalateFailure(run: IncidentRun, step: RunbookStep, st: StepState): Promise<void> {
  run.state.escalated = true;
  const undos = run.state.steps.filter((s) => s.undo).reverse();
  const offer = undos.length > 0 ? ` Undo available (newest first): ${undos.map((s) => `${s.id}: ${s.undo!.description}`).join('; ')}` : '';
  const next = st.halted ? ' The runbook waits: retry or skip the step, or resolve the incident.' : ' The runbook goes on.';
  run.record('step.failed', `${step.id} failed: ${st.error}`, 'worker', { step: step.id });
  await run.tell('the failure escalation', () =>
    acts.escalate({
      incidentId: run.state.id,
      stepId: step.id,
      group: run.pinned?.runbook.escalationGroup,
      message: `step ${step.id} (${step.type}) failed: ${st.error}.${next}${offer}`,
    }),
  );
}
