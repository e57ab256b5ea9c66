/** The scenario drill's workflow input and query, for the ingress that starts it and the CLI that reads it. */
import { defineQuery } from '@temporalio/workflow';
import type { Alert } from '../domain/alert';
import type { ScenarioProgress, ScheduledInject } from '../domain/scenario';

export type { ScenarioProgress };

export interface DrillScenarioInput {
  scenarioId: string;
  /** the scenario file's content hash, as the drill report names it */
  contentHash: string;
  incidentId: string;
  facilitator: string;
  /** the drill's opening alert: an `alert` inject is a further alert of the same incident */
  drillAlert: Alert;
  injects: ScheduledInject[];
}

export const scenarioProgressQuery = defineQuery<ScenarioProgress>('scenarioProgress');
