/**
 * The alert → first action path with nothing of Tourniquet's in it, for the pipeline benchmark's
 * floor: started by `signalWithStart` with the alert as its signal, one activity before the action
 * (as runbook selection is), the action, then `followUps` activities that do nothing (as the
 * incident's audit batches and announces follow its first action). What Temporal, this worker's
 * SDK and two shared cores cost for the same round trips.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface FloorActivities {
  prepare(principal: string): Promise<string>;
  action(principal: string): Promise<void>;
  followUp(principal: string): Promise<void>;
}

const { prepare, action, followUp } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s' });

export const floorAlert = defineSignal<[{ principal: string }]>('alert');

export async function floorWorkflow(followUps: number): Promise<void> {
  let principal: string | undefined;
  setHandler(floorAlert, (alert) => void (principal ??= alert.principal));
  await condition(() => principal !== undefined);
  const prepared = await prepare(principal!);
  await action(prepared);
  for (let i = 0; i < followUps; i++) await followUp(prepared);
}
