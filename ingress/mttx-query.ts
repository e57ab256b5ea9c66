import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { incidentTimes, type IncidentTimes } from '../domain/mttx';
import { stateQuery } from '../workflows/definitions';
import { visibility } from './read-model';
import { stepRole } from '../workflows/steps';

export const isContainmentStep = (type: string): boolean => stepRole(type) === 'contain';

export interface IncidentTimesRead {
  times: IncidentTimes[];
  /** incidents whose state could not be read (counted, so a gap is visible rather than silent) */
  unreadable: string[];
}

/**
 * Every incident detected since `since` (ISO), open or closed, failed or stuck ones included, as
 * its response times: a running incident answers a query, a completed one is read from its result,
 * anything else (failed, terminated) is asked by query and counted as unreadable if it cannot say.
 */
export async function readIncidentTimes(client: Client, since?: string): Promise<IncidentTimesRead> {
  const query = visibility.incidentsStartedSince(since ? new Date(since).toISOString() : undefined);
  const latest = new Map<string, string>();
  for await (const wf of client.workflow.list({ query })) {
    // A continued-as-new incident lists each run: the running (or last) one speaks for it.
    if (!latest.has(wf.workflowId) || wf.status.name === 'RUNNING') latest.set(wf.workflowId, wf.status.name);
  }
  const times: IncidentTimes[] = [];
  const unreadable: string[] = [];
  for (const [id, status] of latest) {
    const handle = client.workflow.getHandle(id);
    try {
      const state = status === 'COMPLETED' ? ((await handle.result()) as IncidentState) : await handle.query(stateQuery);
      if (state.alertCount === 0) continue; // started, never given an alert: nothing to time
      times.push(incidentTimes(state, isContainmentStep));
    } catch {
      unreadable.push(id);
    }
  }
  return { times: times.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt)), unreadable };
}
