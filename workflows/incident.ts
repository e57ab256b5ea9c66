/**
 * incidentWorkflow: one incident, from its first alert to resolution. It picks and pins a runbook,
 * runs its steps (see incident/step-runner.ts), and then waits for a person. Nothing fails an
 * incident: a step's error is the step's, and an error of our own is caught here, recorded and
 * escalated, so the incident stays listed and in a person's hands.
 */
import { CancellationScope, condition, isCancellation, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { PreparedIncident } from '../activities/incident';
import type { IncidentState } from '../domain/incident';
import { drillClockScale } from '../domain/exercise';
import { isExerciseId } from '../domain/ids';
import { isTerminal } from '../domain/incident';
import { incidentRunbookKey, incidentSeverityKey, incidentStatusKey, type IncidentInput } from './definitions';
import { startBreachClock } from './breach-clock-start';
import { startReview } from './review-start';
import { stepRole } from './steps';
import { failureMessage, isControlFlow } from './incident/failures';
import { registerHandlers } from './incident/handlers';
import { acts, IncidentRun } from './incident/run';
import { runEntries } from './incident/step-runner';
import { watchTargets } from './incident/targets';
import { hasPhases, PHASES, type RunbookEntry } from '../domain/runbook';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const run = new IncidentRun(input);
  registerHandlers(run);
  try {
    await condition(() => run.state.alertCount > 0);
    if (!run.pinned) {
      pin(run, await acts.prepareIncident(run.state.alerts[0]!));
      if (run.pinned!.runbook.phi && isExerciseId(run.state.id)) {
        // A drill's clock is an exercise clock (its id says so): compressed time, kept out of every
        // real listing, the HHS report and the metrics. Drills from before it started none.
        if (patched('exercise-clocks')) {
          const timeScale = drillClockScale(run.state.alerts[0]);
          const started = await startBreachClock(run.state.id, run.state.openedAt, { timeScale });
          if (started) run.record('breach-clock.started', `EXERCISE: ${started}; in compressed time`, 'worker');
        } else run.record('breach-clock.exercise', 'exercise: a breach clock would start here; none runs for a drill', 'worker');
      } else if (run.pinned!.runbook.phi) {
        const started = await startBreachClock(run.state.id, run.state.openedAt);
        if (started) run.record('breach-clock.started', started, 'worker');
      }
    } else if (patched('decision-keys')) {
      // A run continued as new asks the workers again: a rotated key reaches long incidents.
      run.decisions.keys = await acts.decisionKeys();
    }
    // Incidents from before the severity policy (or prepared without one) keep no targets.
    if (run.severityPolicy && patched('severity-targets')) run.targetWatch = watchTargets(run, run.severityPolicy);
    // No await between pinning and the first step: histories recorded before these files replay.
    await contain(run);
    // Only runbooks with phases (which old histories never pinned) take this path.
    if (hasPhases(run.pinned!.runbook) && patched('phases')) await afterContainment(run);
  } catch (err) {
    if (isControlFlow(err)) throw err;
    await fault(run, err);
  }
  // Wait for a person to resolve; a long wait with many alerts continues as new.
  for (;;) {
    await condition(() => isTerminal(run.state.status) || run.historyFull());
    if (isTerminal(run.state.status)) break;
    await run.carryOn();
  }
  // The last page is resolved before the run ends.
  if (run.targetWatch) await run.targetWatch;
  // Histories that resolved before reviews existed replay unchanged.
  if (run.state.status === 'resolved' && patched('post-incident-review')) await openReview(run);
  await run.settled();
  return run.state;
}

/** A resolved incident opens its post-incident review, owned by whoever resolved it. */
async function openReview(run: IncidentRun): Promise<void> {
  const { state } = run;
  const resolver = [...run.timeline].reverse().find((t) => t.kind === 'incident.status')?.actor ?? 'unknown';
  try {
    const level = run.severityPolicy?.levels.find((l) => l.id === state.level);
    const due = level?.review !== undefined ? { due: { level: level.id, within: level.review } } : {};
    run.record('review.opened', await startReview({ incidentId: state.id, severity: state.severity, resolvedAt: state.resolvedAt ?? run.now(), owner: resolver, ...due, incident: { state, timeline: run.timeline } }), 'worker');
  } catch (err) {
    if (isControlFlow(err)) throw err;
    run.record('review.failed', `the post-incident review could not be opened: ${failureMessage(err)}`, 'worker');
  }
}

/** The first alert picked the runbook; its content and hash are pinned for the incident's life. */
function pin(run: IncidentRun, prepared: PreparedIncident): void {
  const { state } = run;
  const pinned = (run.pinned = prepared.pinned);
  run.approverGroups = prepared.approverGroups;
  run.decisions.keys = prepared.decisionKeys;
  run.severityPolicy = prepared.severity;
  state.runbook = { id: pinned.runbook.id, title: pinned.runbook.title, contentHash: pinned.contentHash };
  if (pinned.runbook.raci) state.raci = pinned.runbook.raci;
  if (pinned.runbook.checklist?.length) state.checklist = pinned.runbook.checklist.map((item) => ({ ...item }));
  upsertSearchAttributes([
    { key: incidentStatusKey, value: state.status },
    { key: incidentSeverityKey, value: state.severity },
    { key: incidentRunbookKey, value: pinned.runbook.id },
  ]);
  run.record('incident.opened', `runbook ${pinned.runbook.id} (${pinned.contentHash.slice(0, 12)})`, run.input.requester);
}


/** Runs the runbook's containment steps; a halted step waits here for a person's retry or skip. */
async function contain(run: IncidentRun): Promise<void> {
  const { state } = run;
  if (isTerminal(state.status) || state.status === 'contained' || state.runbookDone || !run.pinned) return;
  // Incidents from before this rule were `containing` from the start, whatever their runbook held.
  run.containmentAtFirstStep = patched('containment-at-first-step');
  if (!run.containmentAtFirstStep) run.move('containment-started', 'worker');
  if (await runSection(run, run.pinned.runbook.steps)) finishRunbook(run);
}

/**
 * After containment, the runbook's phases: `eradicate`, then `recover`, each its steps (gated like
 * any other) and then its checklist items, ticked off by people. Containment undone on the way, or
 * the incident closed, ends it here; a person resolves as always.
 */
async function afterContainment(run: IncidentRun): Promise<void> {
  const { state } = run;
  const runbook = run.pinned!.runbook;
  for (const phase of PHASES) {
    if (!['contained', 'eradicating', 'recovering'].includes(state.status)) return;
    const entries = runbook[phase] ?? [];
    const items = (state.checklist ?? []).filter((i) => i.phase === phase);
    if (entries.length === 0 && items.length === 0) continue;
    run.move(phase === 'eradicate' ? 'eradication-started' : 'recovery-started', 'worker');
    if (!(await runSection(run, entries))) return;
    const pending = () => items.filter((i) => !i.checkedAt).map((i) => i.id);
    if (pending().length > 0) run.record('checklist.waiting', `${phase}: waiting for ${pending().join(', ')} to be checked`, 'worker');
    while (pending().length > 0) {
      await condition(() => isTerminal(state.status) || run.historyFull() || pending().length === 0);
      if (isTerminal(state.status)) return;
      if (pending().length > 0) await run.carryOn();
    }
  }
  run.move('recovery-finished', 'worker');
}

/** Runs entries to their end; a halted step waits for a person. True when all ran; false when the incident closed first. */
async function runSection(run: IncidentRun, entries: RunbookEntry[]): Promise<boolean> {
  const { state } = run;
  for (;;) {
    run.runbookScope = new CancellationScope();
    let completed = false;
    try {
      completed = await run.runbookScope.run(() => runEntries(run, entries));
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
    if (completed) return true;
    if (!isTerminal(state.status)) {
      await condition(() => isTerminal(state.status) || run.historyFull() || run.stepDecisions.size > 0);
      if (run.stepDecisions.size > 0 && !isTerminal(state.status)) continue;
      if (!isTerminal(state.status)) await run.carryOn();
    }
    for (const st of state.steps) {
      if (['pending', 'awaiting-approval', 'running'].includes(st.status)) {
        st.status = 'skipped';
        st.summary = `not finished: incident ${state.status}`;
      }
    }
    return false;
  }
}

/** The runbook ran to its end: contained only if every containment step holds. */
function finishRunbook(run: IncidentRun): void {
  const { state } = run;
  state.runbookDone = true;
  if (!run.containmentAtFirstStep) {
    if (state.escalated) return;
    // A declined containment step is not containment: the incident stays containing for a person.
    const declined = state.steps.filter((st) => st.status === 'denied').map((st) => st.id);
    if (declined.length > 0 && patched('declined-not-contained')) {
      run.record('containment.declined', `${declined.join(', ')} not approved: not contained; resolve when handled`, 'worker');
    } else run.move('containment-finished', 'worker');
    return;
  }
  const containment = state.steps.filter((st) => stepRole(st.type) === 'contain');
  if (containment.length === 0) {
    run.record('incident.triage', 'nothing in the runbook contains this: a person acknowledges it, then resolves it or closes it as no-action', 'worker');
    return;
  }
  const notHeld = containment.filter((st) => st.status !== 'succeeded');
  if (notHeld.length === 0) return run.move('containment-finished', 'worker');
  run.record('containment.incomplete', `${notHeld.map((st) => `${st.id} ${st.status}`).join(', ')}: not contained; resolve when handled`, 'worker');
}

/** Last line of defence: an error of our own becomes an escalated incident, never a Failed workflow. */
async function fault(run: IncidentRun, err: unknown): Promise<void> {
  run.state.escalated = true;
  // Whatever went wrong, a person must be able to resolve: learn the decision keys if opening did not.
  if (!run.decisions.keys) run.decisions.keys = await acts.decisionKeys().catch(() => undefined);
  const message = failureMessage(err);
  run.record('incident.fault', `Tourniquet could not go on with this incident: ${message}. A person must take it over.`, 'worker');
  await run.tell('the fault escalation', () =>
    acts.escalate({
      incidentId: run.state.id,
      stepId: '-',
      group: run.pinned?.runbook.escalationGroup,
      message: `the incident could not go on: ${message}; nothing further runs automatically. Resolve it when handled.`,
    }),
  );
}
