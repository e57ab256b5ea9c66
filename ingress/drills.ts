/**
 * Starting a drill, once for every ingress (`POST /drills`, `/ir drill`): the request checked by a
 * schema, the `drill.start` authority decided, the exercise incident opened (domain/exercise.ts).
 * A drill's findings (`POST /drills/:id/findings`, `/ir drill finding`) become follow-up actions of
 * the one follow-up workflow reviews use, under the `drill.finding` authority.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { noSubject } from '../domain/decision-subjects';
import { drillAlert, MAX_DRILL_CLOCK_SCALE } from '../domain/exercise';
import { rejectFollowUp } from '../domain/follow-up';
import { followUpId, followUpOf, incidentIdFromUser, isExerciseId, stepScopeOf } from '../domain/ids';
import { measureDrill, type DrillRecord } from '../domain/exercise-report';
import { scenarioRunId } from '../domain/ids';
import { withPrincipalType } from '../domain/principal';
import type { PinnedScenario } from '../domain/scenario';
import { SEVERITIES } from '../domain/severity';
import { DrillSubjectSchema, readRunbooks, readScenarios, scenariosDirOf, scheduleOf } from '../runbooks';
import type { DrillScenarioInput } from '../workflows/drill-scenario-definitions';
import type { Decider } from './decisions';
import { HttpError } from './errors';
import type { Operator } from './identity/operator';
import { deliverAlert } from './incidents';
import { listWorkflows, visibility } from './read-model';
import { incidentRunbookKey, stateQuery, timelineQuery } from '../workflows/definitions';
import type { followUpWorkflow } from '../workflows/follow-up';
import { FOLLOW_UP_WORKFLOW } from '../workflows/follow-up-definitions';

export const DrillStart = z.object({
  /** a runbook's id, or a scenario's (runbooks/scenario.ts): its runbook, severity, subject and injects */
  runbook: z.string().trim().regex(/^[a-z0-9][a-z0-9-]*$/, 'a runbook or scenario id'),
  severity: z.enum(SEVERITIES).default('high'),
  subject: DrillSubjectSchema.default({}),
  /** how much faster than the wall clock the drill's breach clock runs (a PHI runbook's); default a day a minute */
  clockScale: z.number().int().min(1).max(MAX_DRILL_CLOCK_SCALE).optional(),
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
  /** where runbooks and their `scenarios/` are; unset: drills of runbooks only */
  runbooksDir?: string;
}

/** The valid scenario of that id in the runbooks' `scenarios/` folder, if there is one. */
export function findScenario(runbooksDir: string | undefined, id: string): PinnedScenario | undefined {
  if (!runbooksDir) return undefined;
  const runbookIds = new Set(readRunbooks(runbooksDir).runbooks.map((r) => r.runbook.id));
  return readScenarios(scenariosDirOf(runbooksDir), runbookIds).scenarios.find((s) => s.scenario.id === id);
}

/**
 * Opens the exercise incident as this operator, or refuses (authority) with nothing started. A
 * scenario's id drills its runbook with its severity and subject, and starts its timed injects.
 */
export async function startDrill(deps: DrillDeps, op: Operator, request: DrillStartRequest): Promise<{ incidentId: string; runbook: string; scenario?: string }> {
  const pinned = findScenario(deps.runbooksDir, request.runbook);
  const drill = pinned ? { runbook: pinned.scenario.runbook, severity: pinned.scenario.severity, subject: pinned.scenario.subject } : request;
  const { incidentId, alert } = drillAlert({
    runbook: drill.runbook,
    severity: drill.severity,
    subject: withPrincipalType(drill.subject),
    ...(request.clockScale ? { clockScale: request.clockScale } : {}),
    startedBy: op.person,
    suffix: randomBytes(10).toString('hex'),
    at: new Date().toISOString(),
  });
  await deps.decider.decide(op, { action: 'drill.start', workflowId: incidentId, subject: noSubject() }, async () => {
    await deliverAlert(deps.client, deps.taskQueue, alert, op.person);
    if (!pinned) return;
    const input: DrillScenarioInput = {
      scenarioId: pinned.scenario.id,
      contentHash: pinned.contentHash,
      incidentId,
      facilitator: op.person,
      drillAlert: alert,
      injects: scheduleOf(pinned.scenario),
    };
    await deps.client.workflow.start('drillScenarioWorkflow', { workflowId: scenarioRunId(incidentId), taskQueue: deps.taskQueue, args: [input] });
  });
  return { incidentId, runbook: drill.runbook, ...(pinned ? { scenario: pinned.scenario.id } : {}) };
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

export const DrillFinding = z.object({ text: z.string().max(2_000), owner: z.string().max(200), dueAt: z.string().max(40) }).strict();
export type DrillFindingRequest = z.infer<typeof DrillFinding>;

/** `incident/exercise-…` from what a person typed (an id or a bare fingerprint), or 400. */
export function drillIdFromUser(typed: string): string {
  const id = incidentIdFromUser(typed.trim());
  if (!/^incident\/[\w.:-]+$/.test(id) || !isExerciseId(id) || stepScopeOf(id)) {
    throw new HttpError(400, `${typed} is not a drill (incident/exercise-…); a real incident's findings go to its review`, 'bad_request');
  }
  return id;
}

/** A finding's key is its text's digest: the same finding sent twice (a retried request) is one follow-up. */
export function drillFindingKey(text: string): string {
  return `d-${createHash('sha256').update(text.trim()).digest('hex').slice(0, 16)}`;
}

export interface DrillFindingStarted {
  followUpId: string;
  drill: string;
  owner: string;
  dueAt: string;
  /** false when this finding had been recorded already (its follow-up was left as it was) */
  created: boolean;
}

/**
 * A drill's finding, as this operator: `drill.finding` decided (403 and audited when refused), the
 * drill looked up (404 when there is none), then the follow-up workflow started under the drill's id
 * (`follow-up/incident/exercise-…/d-…`). The follow-up audits its opening with who made it.
 */
export async function addDrillFinding(deps: DrillDeps, op: Operator, drillId: string, finding: DrillFindingRequest): Promise<DrillFindingStarted> {
  const title = finding.text.trim();
  const invalid = rejectFollowUp({ title, owner: finding.owner, dueAt: finding.dueAt });
  if (invalid) throw new HttpError(400, invalid, 'bad_request');
  return deps.decider.decide(op, { action: 'drill.finding', workflowId: drillId, subject: noSubject() }, async () => {
    await deps.client.workflow.getHandle(drillId).describe();
    const id = followUpId(drillId, drillFindingKey(title));
    let created = true;
    try {
      await deps.client.workflow.start<typeof followUpWorkflow>(FOLLOW_UP_WORKFLOW, {
        taskQueue: deps.taskQueue,
        workflowId: id,
        args: [{ id, origin: drillId, title, owner: finding.owner, dueAt: finding.dueAt, createdBy: op.person }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      created = false;
    }
    return { followUpId: id, drill: drillId, owner: finding.owner, dueAt: finding.dueAt, created };
  });
}

/** The open follow-ups drills' findings started, by the drill they came from. */
export async function openDrillFindings(client: Client): Promise<Map<string, string[]>> {
  const byDrill = new Map<string, string[]>();
  for (const wf of await listWorkflows(client, visibility.openDrillFindings())) {
    const origin = followUpOf(wf.workflowId)?.origin;
    if (origin) byDrill.set(origin, [...(byDrill.get(origin) ?? []), wf.workflowId]);
  }
  return byDrill;
}
