/**
 * The severity policy's response targets for one incident: its level (from its alert severity or
 * runbook), a durable timer for the target due next, and on expiry while it is still unmet, an
 * escalation in the incident's thread and, where the level pages and PagerDuty is configured, a
 * page to the on-call with the incident's dedup key. The page is resolved once every target it was
 * sent for is met. Runs beside the runbook, in workflow time; every side effect is an activity.
 */
import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { isExerciseId, pagerDedupKey } from '../../domain/ids';
import { isTerminal } from '../../domain/incident';
import { levelFor, nextDue, pageSettled, targetMet, targetsFor, type SeverityLevel, type SeverityPolicy, type TargetFacts, type TargetState } from '../../domain/severity-policy';
import { stepRole } from '../steps';
import { failureMessage, isControlFlow } from './failures';
import { acts, type IncidentRun } from './run';

/**
 * PagerDuty deduplicates by key, so retrying is harmless: throttling (429) and 5xx are waited out
 * for a while; an event it refuses (4xx) is final and goes on the record.
 */
const pager = proxyActivities<Pick<Activities, 'pageOnCall'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['PagerDutyRejected', 'PagerDutyNotConfigured'] },
});

function factsOf(run: IncidentRun): TargetFacts {
  const { state } = run;
  const containable = (run.pinned?.runbook.steps ?? []).some((entry) => ('step' in entry ? [entry.step] : entry.parallel).some((s) => stepRole(s.type) === 'contain'));
  return {
    openedAt: state.openedAt,
    ...(state.acknowledgedAt !== undefined ? { acknowledgedAt: state.acknowledgedAt } : {}),
    ...(state.containedAt !== undefined ? { containedAt: state.containedAt } : {}),
    closed: isTerminal(state.status),
    containable,
  };
}

/** What the targets depend on: a change wakes the watcher (a storm of alerts alone does not). */
const watched = (run: IncidentRun) => [run.state.severity, run.state.acknowledgedAt ?? '', run.state.containedAt ?? '', run.state.status].join('|');

/** Watches the incident's targets until it is resolved or closed. Never throws: a fault of its own is recorded. */
export async function watchTargets(run: IncidentRun, policy: SeverityPolicy): Promise<void> {
  try {
    for (;;) {
      const level = levelFor(policy, run.state.severity, run.state.runbook?.id);
      settleLevel(run, policy, level);
      markMet(run);
      await resolvePage(run, level);
      if (isTerminal(run.state.status)) return;
      const next = nextDue(run.state.targets ?? []);
      const seen = watched(run);
      const changed = () => watched(run) !== seen;
      if (!next) {
        await condition(changed);
        continue;
      }
      if (await condition(changed, Math.max(1, Date.parse(next.dueAt) - Date.now()))) continue;
      if (targetMet(next.target, factsOf(run))) continue;
      await miss(run, policy, level, next);
    }
  } catch (err) {
    if (isControlFlow(err)) throw err;
    run.record('targets.fault', `response targets are no longer watched: ${failureMessage(err)}`, 'worker');
  }
}

/** The incident's level, and its targets by that level; a rise in severity is on the timeline. */
function settleLevel(run: IncidentRun, policy: SeverityPolicy, level: SeverityLevel): void {
  const { state } = run;
  if (state.level === level.id) return;
  const from = state.level;
  state.level = level.id;
  state.targets = targetsFor(level, factsOf(run), state.targets);
  const targets = state.targets.map((t) => `${t.target} within ${t.within}`).join(', ') || 'no response targets';
  const why = state.runbook && policy.runbooks[state.runbook.id] !== undefined ? `runbook ${state.runbook.id}` : `alert severity ${state.severity}`;
  run.record('severity.level', `${from ? `${from} → ` : ''}${level.id} (${why}): ${targets}`, 'worker');
}

function markMet(run: IncidentRun): void {
  const facts = factsOf(run);
  for (const t of run.state.targets ?? []) {
    if (t.status === 'met' || !targetMet(t.target, facts)) continue;
    const wasMissed = t.status === 'missed';
    t.status = 'met';
    t.metAt = run.now();
    if (wasMissed) run.record('target.met', `${run.state.level} ${t.target} target met late (due ${t.dueAt})`, 'worker');
    else run.wantAnnounce();
  }
}

async function miss(run: IncidentRun, policy: SeverityPolicy, level: SeverityLevel, t: TargetState): Promise<void> {
  const { state } = run;
  const paging = policy.paging && level.page && !isExerciseId(state.id);
  t.status = 'missed';
  t.missedAt = run.now();
  run.record('target.missed', `${level.id} ${t.target} target missed: not met within ${t.within} (due ${t.dueAt})${paging ? '; paging the on-call' : ''}`, 'worker');
  const group = level.escalationGroup ?? run.pinned?.runbook.escalationGroup;
  run.targetsBusy += 1;
  try {
    await run.tell('the missed-target escalation', () =>
      acts.escalateTarget({
        incidentId: state.id,
        level: level.id,
        target: t.target,
        within: t.within,
        dueAt: t.dueAt,
        paging,
        ...(group !== undefined ? { group } : {}),
      }),
    );
    if (!paging) return;
    const dedupKey = pagerDedupKey(state.id);
    try {
      await pager.pageOnCall({ action: 'trigger', incidentId: state.id, dedupKey, level: level.id, target: t.target, within: t.within, severity: state.severity });
      t.page = 'sent';
      run.record('page.triggered', `paged the on-call through PagerDuty (dedup key ${dedupKey}): ${level.id} ${t.target} target missed`, 'worker');
    } catch (err) {
      if (isControlFlow(err)) throw err;
      t.page = 'failed';
      run.record('page.failed', `could not page the on-call: ${failureMessage(err)}; the incident goes on`, 'worker');
    }
  } finally {
    run.targetsBusy -= 1;
  }
}

/** Every target a page was sent for is met (or the incident is closed): resolve it, once. */
async function resolvePage(run: IncidentRun, level: SeverityLevel): Promise<void> {
  const { state } = run;
  const targets = state.targets ?? [];
  const open = targets.filter((t) => t.page === 'sent');
  if (open.length === 0 || !pageSettled(targets)) return;
  const dedupKey = pagerDedupKey(state.id);
  const last = open[open.length - 1]!;
  run.targetsBusy += 1;
  try {
    await pager.pageOnCall({ action: 'resolve', incidentId: state.id, dedupKey, level: level.id, target: last.target, within: last.within, severity: state.severity });
    run.record('page.resolved', `resolved the PagerDuty page (dedup key ${dedupKey}): ${open.map((t) => t.target).join(', ')} met`, 'worker');
  } catch (err) {
    if (isControlFlow(err)) throw err;
    run.record('page.failed', `could not resolve the PagerDuty page (dedup key ${dedupKey}): ${failureMessage(err)}`, 'worker');
  } finally {
    // Resolved or not, this page is done with: a target missed later pages anew.
    for (const t of open) t.page = 'resolved';
    run.targetsBusy -= 1;
  }
}
