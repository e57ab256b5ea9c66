/**
 * drillScenarioWorkflow: a scenario drill's timed injects (domain/scenario.ts). It sleeps on
 * durable timers until each inject is due, from the moment the drill started, and hands it to
 * the exercise incident (activities/notify.ts `deliverInject`); once the drill is closed the
 * remaining injects are skipped. Its progress is a query, for the facilitator and the report.
 */
import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { injectAlert } from '../domain/scenario';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from './activity-heartbeat';
import { scenarioProgressQuery, type DrillScenarioInput, type ScenarioProgress } from './drill-scenario-definitions';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  // An inject late by a few minutes still belongs to the exercise; a refused one (not an exercise) never does.
  retry: { initialInterval: '2s', maximumInterval: '1 minute', nonRetryableErrorTypes: ['NotAnExercise'] },
  scheduleToCloseTimeout: '15 minutes',
});

export async function drillScenarioWorkflow(input: DrillScenarioInput): Promise<ScenarioProgress> {
  const started = Date.now();
  const progress: ScenarioProgress = {
    scenarioId: input.scenarioId,
    contentHash: input.contentHash,
    incidentId: input.incidentId,
    injects: input.injects.map((inject, i) => ({ n: i + 1, after: inject.after, kind: inject.kind, status: 'waiting' })),
  };
  setHandler(scenarioProgressQuery, () => progress);
  const total = input.injects.length;
  for (const [i, inject] of input.injects.entries()) {
    const entry = progress.injects[i]!;
    const wait = started + inject.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    const at = new Date().toISOString();
    const alert = inject.kind === 'alert' ? injectAlert(input.drillAlert, inject, entry.n, at) : undefined;
    const result = await acts
      .deliverInject({ scenarioRunId: workflowInfo().workflowId, scenarioId: input.scenarioId, incidentId: input.incidentId, facilitator: input.facilitator, n: entry.n, total, inject, ...(alert ? { alert } : {}) })
      .catch((err: Error) => ({ delivered: false as const, reason: err.message }));
    Object.assign(entry, result.delivered ? { status: 'delivered', at } : { status: 'skipped', at, reason: result.reason });
    if (!result.delivered) {
      // The drill closed (or the inject was refused): what was left is not delivered.
      for (const rest of progress.injects.slice(i + 1)) Object.assign(rest, { status: 'skipped', reason: result.reason });
      break;
    }
  }
  return progress;
}
