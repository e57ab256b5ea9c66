/**
 * Tabletop scenarios: a drill of a runbook with its starting alert and timed injects, so a
 * facilitator can run an exercise end to end. An `alert` inject reaches the exercise incident as a
 * further alert of the same incident (more activity, or a changed fact the plans must follow); the
 * other kinds are handed to the responders in the incident's channel, marked EXERCISE, as a
 * facilitator hands out an inject card. Every inject is on the audit log.
 */
import type { Alert, AlertSubject } from './alert';
import type { Severity } from './severity';

export const INJECT_KINDS = ['alert', 'fact', 'slack-outage', 'approver-unavailable'] as const;
export type InjectKind = (typeof INJECT_KINDS)[number];

export interface ScenarioInject {
  /** when, counted from the drill's start (a duration: 5m, 1h) */
  after: string;
  kind: InjectKind;
  /** what the responders are told; required for `fact`, a default text for the others */
  text?: string;
  /** `alert`: the further alert's subject (its fields replace the starting alert's) and severity */
  subject?: AlertSubject;
  severity?: Severity;
  /** `slack-outage`: for how long responders must do without Slack */
  for?: string;
  /** `approver-unavailable`: who cannot be reached (a Slack user id or a person's name) */
  person?: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** the runbook the drill rehearses */
  runbook: string;
  severity: Severity;
  subject: AlertSubject;
  injects: ScenarioInject[];
}

export interface PinnedScenario {
  scenario: Scenario;
  contentHash: string;
  file: string;
}

/** An inject as the scenario workflow is handed it: its time resolved to milliseconds. */
export interface ScheduledInject extends ScenarioInject {
  atMs: number;
}

export type InjectStatus = 'waiting' | 'delivered' | 'skipped';

/** A scenario drill's injects so far: the facilitator's view, and a section of the exercise report. */
export interface ScenarioProgress {
  scenarioId: string;
  contentHash: string;
  incidentId: string;
  injects: { n: number; after: string; kind: InjectKind; status: InjectStatus; at?: string; reason?: string }[];
}

/** What responders are told, with the inject's number: "EXERCISE INJECT 2/4 …". */
export function injectMessage(inject: ScenarioInject, n: number, total: number): string {
  const head = `EXERCISE INJECT ${n}/${total}:`;
  switch (inject.kind) {
    case 'fact':
      return `${head} ${inject.text}`;
    case 'slack-outage':
      return `${head} ${inject.text ?? `Slack is unavailable for the next ${inject.for}. Until then, decide and record through the CLI (tourniquet approve …, tourniquet incidents note …) or the dashboard; do not use this channel.`}`;
    case 'approver-unavailable':
      return `${head} ${inject.text ?? `${inject.person} cannot be reached for the rest of this drill. Approvals they would give must come from another member of the approver group.`}`;
    case 'alert':
      return `${head} ${inject.text ?? 'a further alert arrives for this incident.'}`;
  }
}

/**
 * The further alert of an `alert` inject: the drill's own alert (same fingerprint, so the same
 * incident) with the inject's subject fields and severity, and a delivery id of its own so it is
 * attached once however often it is delivered.
 */
export function injectAlert(drill: Alert, inject: ScenarioInject, n: number, at: string): Alert {
  return {
    ...drill,
    severity: inject.severity ?? drill.severity,
    subject: { ...drill.subject, ...inject.subject },
    observedAt: at,
    deliveryId: `${drill.deliveryId}:inject-${n}`,
  };
}
