/**
 * Workflow ids, built and read in one place. Every id is meaningful and deterministic: the
 * incident is named by its alert fingerprint, and everything an incident's step starts is named by
 * the incident and the step, so a retried start finds the workflow it already started and any
 * process can tell which incident and step a workflow (or its activities) serves.
 */

/** The kinds of workflow that belong to one step of one incident: `<kind>/<fingerprint>/<step>`. */
export const STEP_SCOPED = ['playbook', 'block-expiry', 'key-deletion', 'key-retirement', 'undo'] as const;
export type StepScopedKind = (typeof STEP_SCOPED)[number];

const INCIDENT = 'incident/';
const CLOCK = 'breach-clock/';
const SCENARIO = 'drill-scenario/';

/** `incident/<fingerprint>` */
export function incidentIdFor(fingerprint: string): string {
  return `${INCIDENT}${fingerprint}`;
}

/** What a person types or a URL carries, with or without the `incident/` prefix. */
export function incidentIdFromUser(id: string): string {
  return id.startsWith(INCIDENT) ? id : incidentIdFor(id);
}

/** The fingerprint in an incident id, a clock or scenario id, or a bare fingerprint (what a URL segment carries). */
export function fingerprintOf(id: string): string {
  for (const prefix of [INCIDENT, CLOCK, SCENARIO]) if (id.startsWith(prefix)) return id.slice(prefix.length);
  return id;
}

/** `breach-clock/<fingerprint>`: one clock per incident. */
export function breachClockId(incidentId: string): string {
  return `breach-clock/${fingerprintOf(incidentId)}`;
}

/** A clock id from what a person typed: a clock id, an incident id or a bare fingerprint. */
export function breachClockIdFromUser(id: string): string {
  return breachClockId(id);
}

/** `drill-scenario/<fingerprint>`: the timed injects of a scenario drill, one per exercise incident. */
export function scenarioRunId(incidentId: string): string {
  return `${SCENARIO}${fingerprintOf(incidentId)}`;
}

/** The incident a breach clock belongs to. */
export function incidentOfClock(clockId: string): string {
  return incidentIdFor(fingerprintOf(clockId));
}

/** `<kind>/<fingerprint>/<step>` */
export function stepScopedId(kind: StepScopedKind, incidentId: string, stepId: string): string {
  return `${kind}/${fingerprintOf(incidentId)}/${stepId}`;
}

/** The incident and step a step-scoped workflow serves; undefined for any other id. */
export function stepScopeOf(workflowId: string): { kind: StepScopedKind; incidentId: string; stepId: string } | undefined {
  const slash = workflowId.indexOf('/');
  const last = workflowId.lastIndexOf('/');
  if (slash < 0 || last <= slash) return undefined;
  const kind = STEP_SCOPED.find((k) => k === workflowId.slice(0, slash));
  if (!kind) return undefined;
  return { kind, incidentId: incidentIdFor(workflowId.slice(slash + 1, last)), stepId: workflowId.slice(last + 1) };
}

const ACCESS = 'access/';

/** `access/<request>`: one break-glass request, its grant and its revocation. */
export function accessGrantId(requestId: string): string {
  return `${ACCESS}${requestId}`;
}

/** A grant's workflow id from what a person typed: the id, or the request id alone. */
export function accessGrantIdFromUser(id: string): string {
  return id.startsWith(ACCESS) ? id : accessGrantId(id);
}

/** The Temporal Schedule that compares AWS with the open grants, and the workflows it starts. */
export const ACCESS_RECONCILIATION_SCHEDULE = 'access-reconciliation';

/** The Temporal Schedule that checks every runbook was rehearsed recently enough, and its runs. */
export const DRILL_CADENCE_SCHEDULE = 'drill-cadence';

/** `review/<fingerprint>`: the post-incident review, one per incident. */
export function reviewId(incidentId: string): string {
  return `review/${fingerprintOf(incidentId)}`;
}

/** A review id from what a person typed: a review id, an incident id or a bare fingerprint. */
export function reviewIdFromUser(id: string): string {
  return id.startsWith('review/') ? id : reviewId(id);
}

const FOLLOW_UP = 'follow-up/';

/**
 * `follow-up/<origin>/<key>`: a follow-up action and what it came from (a review, a drill, a
 * vulnerable dependency), named by the origin's own workflow id and a key unique within it, so the
 * same finding started twice is one follow-up.
 */
export function followUpId(origin: string, key: string): string {
  if (!/^[\w.-]+$/.test(key)) throw new Error(`follow-up key ${key}: letters, digits, dots and dashes only`);
  return `${FOLLOW_UP}${origin}/${key}`;
}

/** The origin (a workflow id) and key of a follow-up id; undefined for any other id. */
export function followUpOf(workflowId: string): { origin: string; key: string } | undefined {
  if (!workflowId.startsWith(FOLLOW_UP)) return undefined;
  const last = workflowId.lastIndexOf('/');
  if (last <= FOLLOW_UP.length) return undefined;
  return { origin: workflowId.slice(FOLLOW_UP.length, last), key: workflowId.slice(last + 1) };
}

/** The incident a review or follow-up serves (through its origin), when it serves one. */
export function incidentOfOrigin(origin: string): string | undefined {
  if (origin.startsWith(INCIDENT)) return origin;
  if (origin.startsWith('review/')) return incidentIdFor(origin.slice('review/'.length));
  const inner = followUpOf(origin);
  return inner ? incidentOfOrigin(inner.origin) : undefined;
}

/**
 * Exercises (drills) are incidents whose fingerprint starts with `exercise-`: the mark is in the id
 * itself, so every workflow and activity an exercise starts (`playbook/exercise-…/<step>`) carries it
 * and the AWS write scope can refuse writes from the workflow id Temporal gives the activity,
 * whatever its input says. Real alert fingerprints are digests or `manual-…`, never `exercise-…`.
 */
const EXERCISE = 'exercise-';

/** `incident/exercise-<suffix>` */
export function exerciseIncidentId(suffix: string): string {
  return incidentIdFor(`${EXERCISE}${suffix}`);
}

/** What every exercise incident's id starts with, for visibility queries. */
export const EXERCISE_ID_PREFIX = `${INCIDENT}${EXERCISE}`;

/** True for an exercise incident, or anything an exercise's step started. */
export function isExerciseId(workflowId: string): boolean {
  const incident = stepScopeOf(workflowId)?.incidentId ?? workflowId;
  return fingerprintOf(incident).startsWith(EXERCISE);
}

/** PagerDuty's dedup_key for an incident: every page about it is one PagerDuty alert, and a repeat is deduplicated. */
export function pagerDedupKey(incidentId: string): string {
  return `tourniquet/${incidentId}`;
}
