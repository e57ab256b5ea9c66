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

/** `incident/<fingerprint>` */
export function incidentIdFor(fingerprint: string): string {
  return `${INCIDENT}${fingerprint}`;
}

/** What a person types or a URL carries, with or without the `incident/` prefix. */
export function incidentIdFromUser(id: string): string {
  return id.startsWith(INCIDENT) ? id : incidentIdFor(id);
}

/** The fingerprint in an incident id, a clock id, or a bare fingerprint (what a URL segment carries). */
export function fingerprintOf(id: string): string {
  for (const prefix of [INCIDENT, CLOCK]) if (id.startsWith(prefix)) return id.slice(prefix.length);
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
