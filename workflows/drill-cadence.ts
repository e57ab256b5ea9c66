/**
 * drillCadenceWorkflow, started by the Temporal Schedule `drill-cadence` every `drills.checkEvery`:
 * every runbook must have been rehearsed within the last 365 days and since its content hash last
 * changed (domain/exercise-report.ts drillStatus). For each one that was not, the runbook's owner
 * and the compliance channel are told which runbook, why, and how to start its drill.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { drillStatus } from '../domain/exercise-report';
import type { DrillCadence, DueDrill } from './drill-cadence-definitions';

const acts = proxyActivities<Pick<Activities, 'drillInventory' | 'remindDrillDue'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  // A reminder that cannot be delivered now is worth delivering until the next check.
  retry: { initialInterval: '5s', maximumInterval: '10 minutes' },
  scheduleToCloseTimeout: '1 day',
});

export async function drillCadenceWorkflow(): Promise<DrillCadence> {
  const at = new Date().toISOString();
  const { runbooks, drills } = await acts.drillInventory();
  // Workflow time, not the activity's clock: a replay decides exactly as the first run did.
  const status = drillStatus(runbooks, drills, new Date(at));
  const owners = new Map(runbooks.map((r) => [r.id, r.owner]));
  const due: DueDrill[] = [];
  for (const s of status) {
    if (!s.due) continue;
    const owner = owners.get(s.runbook);
    const item: DueDrill = {
      runbook: s.runbook,
      ...(owner ? { owner } : {}),
      due: s.due,
      ...(s.lastExercise ? { lastExercise: { incidentId: s.lastExercise.incidentId, startedAt: s.lastExercise.startedAt } } : {}),
    };
    await acts.remindDrillDue({ ...item, at });
    due.push(item);
  }
  return { at, checked: runbooks.length, due };
}
