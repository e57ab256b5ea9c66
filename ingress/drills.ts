/**
 * Starting a drill, once for every ingress (`POST /drills`, `/ir drill`): the request checked by a
 * schema, the `drill.start` authority decided, the exercise incident opened (domain/exercise.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { PRINCIPAL_TYPES } from '../domain/alert';
import { noSubject } from '../domain/decision-subjects';
import { drillAlert } from '../domain/exercise';
import { measureDrill, type DrillRecord } from '../domain/exercise-report';
import { withPrincipalType } from '../domain/principal';
import { SEVERITIES } from '../domain/severity';
import type { Decider } from './decisions';
import type { Operator } from './identity/operator';
import { deliverAlert } from './incidents';
import { listWorkflows, visibility } from './read-model';
import { incidentRunbookKey, stateQuery, timelineQuery } from '../workflows/definitions';

/** What a drill's alert may name: the subject fields a real source sends, kept to a safe alphabet. */
const Name = z.string().trim().min(1).max(256).regex(/^[\w.:/@+=,-]+$/, 'letters, digits and . : / @ + = , - _ only');
const Subject = z
  .object({ principal: Name, principalType: z.enum(PRINCIPAL_TYPES), accessKeyId: Name, kmsKeyId: Name, ips: z.array(Name).max(50) })
  .partial()
  .strict();

export const DrillStart = z.object({
  runbook: z.string().trim().regex(/^[a-z0-9][a-z0-9-]*$/, 'a runbook id'),
  severity: z.enum(SEVERITIES).default('high'),
  subject: Subject.default({}),
});
export type DrillStartRequest = z.infer<typeof DrillStart>;

/** `key=value` words (as typed after `drill start <runbook>`) as a subject; `ips` takes `a,b`. */
export function subjectFromPairs(pairs: string[]): Record<string, unknown> {
  const subject: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`${pair}: expected key=value`);
    const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    subject[key] = key === 'ips' ? value.split(',').filter(Boolean) : value;
  }
  return subject;
}

export interface DrillDeps {
  client: Client;
  taskQueue: string;
  decider: Decider;
}

/** Opens the exercise incident as this operator, or refuses (authority) with nothing started. */
export async function startDrill(deps: DrillDeps, op: Operator, request: DrillStartRequest): Promise<{ incidentId: string }> {
  const { incidentId, alert } = drillAlert({
    ...request,
    subject: withPrincipalType(request.subject),
    startedBy: op.person,
    suffix: randomBytes(10).toString('hex'),
    at: new Date().toISOString(),
  });
  await deps.decider.decide(op, { action: 'drill.start', workflowId: incidentId, subject: noSubject() }, () => deliverAlert(deps.client, deps.taskQueue, alert, op.person));
  return { incidentId };
}

/** Every drill as visibility lists it, with the runbook content it pinned and its measured result. */
export async function exerciseRecords(client: Client): Promise<DrillRecord[]> {
  const drills: DrillRecord[] = [];
  for (const wf of await listWorkflows(client, visibility.exercises())) {
    const handle = client.workflow.getHandle(wf.workflowId);
    // A drill whose worker cannot answer still counts as drilled, without a result.
    const answered = await Promise.all([handle.query(stateQuery), handle.query(timelineQuery)]).catch(() => undefined);
    const runbook = answered?.[0].runbook ?? (wf.typedSearchAttributes.get(incidentRunbookKey) ? { id: wf.typedSearchAttributes.get(incidentRunbookKey)!, contentHash: undefined } : undefined);
    if (!runbook) continue;
    drills.push({
      runbook: runbook.id,
      incidentId: wf.workflowId,
      startedAt: wf.startTime.toISOString(),
      contentHash: runbook.contentHash,
      ...(answered ? { passed: measureDrill(answered[0], answered[1]).passed } : {}),
    });
  }
  return drills;
}
