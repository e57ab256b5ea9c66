/**
 * What Tourniquet shows a person (Slack, the dashboard, the CLI, the log notifier) is built from
 * fields known to be PHI-free: kind, severity, source, status, counts, runbook and step ids, plan
 * lines and summaries our own code wrote, and the resource ids containment acts on. Free text from
 * alerts (titles, summaries, label keys and values, a kind that is prose) is withheld unless the
 * alert's source is configured to show it (`sources.<source>.showTitles`), and masked even then.
 *
 * Fail-closed rather than pattern-matching: the alert's own free-text values are removed wherever
 * they reappear (a notify step's text interpolating `${alert.title}`, an AWS error quoting a user
 * name), so a name no regex recognises still never reaches a screen. Masking (domain/masking.ts)
 * runs on top, for PHI-shaped text people type or resource ids carry (an IAM user named by e-mail).
 *
 * Pure: workflow code uses `shownKind` for what it writes to the timeline and the audit log.
 */
import type { Alert, AlertSource, AlertSubject } from './alert';
import type { IncidentState, StepState, TimelineEntry } from './incident';
import { maskText } from './masking';

/** Which sources' free text may be shown (masked). Default: none. */
export interface DisplayPolicy {
  showTitles: readonly AlertSource[];
}

export const WITHHOLD_FREE_TEXT: DisplayPolicy = { showTitles: [] };

export const WITHHELD = '[withheld]';

/**
 * Shaped like an identifier (an alert kind such as `UnauthorizedAccess:IAMUser/MaliciousIPCaller`,
 * an IAM user, a key id, an ARN, an address): one token, no spaces. Prose is not.
 */
const IDENTIFIER = /^[\w+=,.@:/*#-]{1,256}$/;

export function isIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

/** An alert's kind as the timeline and the audit log record it: an identifier (masked), never prose. */
export function shownKind(kind: string): string {
  return isIdentifier(kind) ? maskText(kind) : '[free-text kind]';
}

/** The source whose alert titled the incident: the requester of an alert-opened one, else a person (manual). */
function titleSource(state: Pick<IncidentState, 'requester'>): AlertSource {
  return state.requester.startsWith('alert:') ? (state.requester.slice('alert:'.length) as AlertSource) : 'manual';
}

function subjectValues(subject: AlertSubject): string[] {
  return [
    subject.principal,
    subject.accessKeyId,
    subject.kmsKeyId,
    subject.service,
    subject.bucket,
    subject.securityGroupId,
    subject.cognitoUser?.userPoolId,
    subject.cognitoUser?.username,
    ...(subject.ips ?? []),
  ].filter((v): v is string => typeof v === 'string');
}

const LABEL_NAME = /^[a-z_][a-z0-9_.:-]*$/;
const PHI_FREE_WORDS = ['true', 'false', 'none', 'null'];

/** Shorter values are not worth a search (and would take PHI-free words with them). */
const MIN_WITHHELD_LENGTH = 3;

/** The alert-supplied strings a person may not see under `policy`. */
export function withheldValues(alerts: readonly Alert[], policy: DisplayPolicy): string[] {
  const shown = new Set(policy.showTitles);
  // Fields shown as they are: a label repeating one of them (`alertname`, `severity`, `user`) keeps it shown.
  const kept = new Set<string>(PHI_FREE_WORDS);
  for (const a of alerts) {
    kept.add(a.source).add(a.severity).add(a.status);
    if (isIdentifier(a.kind)) kept.add(a.kind);
    for (const v of subjectValues(a.subject)) if (isIdentifier(v)) kept.add(v);
  }
  const values = new Set<string>();
  for (const a of alerts) {
    if (!shown.has(a.source)) {
      values.add(a.title);
      if (!isIdentifier(a.kind)) values.add(a.kind);
      for (const [key, value] of Object.entries(a.labels)) {
        values.add(value);
        // Label names (`team`, `alertname`) are schema, not data; a Datadog tag without a value is its own name.
        if (!LABEL_NAME.test(key)) values.add(key);
      }
    }
    // A resource id that is not shaped like one is not one: whatever it is, it is not shown.
    for (const v of subjectValues(a.subject)) if (!isIdentifier(v)) values.add(v);
  }
  return [...values].filter((v) => v.trim().length >= MIN_WITHHELD_LENGTH && !kept.has(v)).sort((x, y) => y.length - x.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The incident's withheld values removed from `text` (as written, and as JSON-escaped inside a
 * plan line), where each stands as a whole token, so `api` is withheld without taking
 * `patient-api` apart. Workflow code applies it (with no source shown) to what it records.
 */
export function withholderFor(alerts: readonly Alert[], policy: DisplayPolicy): (text: string) => string {
  const forms = new Set<string>();
  for (const v of withheldValues(alerts, policy)) {
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
  }
  if (forms.size === 0) return (text) => text;
  const pattern = new RegExp(`(?<![\\w.@+-])(?:${[...forms].sort((x, y) => y.length - x.length).map(escapeRegExp).join('|')})(?![\\w@+]|[.-]\\w)`, 'g');
  return (text) => text.replace(pattern, WITHHELD);
}

/** The one function every displayed string of an incident passes through: withheld values removed, then masked. */
export function redactorFor(alerts: readonly Alert[], policy: DisplayPolicy): (text: string) => string {
  const withhold = withholderFor(alerts, policy);
  return (text) => maskText(withhold(text));
}

/** The incident's title as shown: its source's (masked) when allowed, else made of PHI-free fields. */
export function shownTitle(state: Pick<IncidentState, 'title' | 'requester' | 'alerts' | 'id'>, policy: DisplayPolicy, redact = redactorFor(state.alerts, policy)): string {
  const source = titleSource(state);
  if (state.title && policy.showTitles.includes(source)) return redact(state.title);
  if (source === 'manual') return `declared by ${maskText(state.requester)}`;
  const kind = state.alerts[0]?.kind;
  return kind && isIdentifier(kind) ? `${maskText(kind)} (${source})` : `${source} alert`;
}

function shownSubject(subject: AlertSubject): AlertSubject {
  const one = (v: string) => (isIdentifier(v) ? maskText(v) : WITHHELD);
  return {
    ...(subject.principal !== undefined ? { principal: one(subject.principal) } : {}),
    ...(subject.accessKeyId !== undefined ? { accessKeyId: one(subject.accessKeyId) } : {}),
    ...(subject.kmsKeyId !== undefined ? { kmsKeyId: one(subject.kmsKeyId) } : {}),
    ...(subject.ips !== undefined ? { ips: subject.ips.map(one) } : {}),
    ...(subject.service !== undefined ? { service: one(subject.service) } : {}),
    ...(subject.bucket !== undefined ? { bucket: one(subject.bucket) } : {}),
    ...(subject.securityGroupId !== undefined ? { securityGroupId: one(subject.securityGroupId) } : {}),
    ...(subject.cognitoUser !== undefined ? { cognitoUser: { userPoolId: one(subject.cognitoUser.userPoolId), username: one(subject.cognitoUser.username) } } : {}),
    // fingerprints of tokens, and where they are kept sealed: nothing to withhold, nothing of the tokens
    ...(subject.oauthTokens !== undefined ? { oauthTokens: { app: one(subject.oauthTokens.app), fingerprints: subject.oauthTokens.fingerprints.map(one), rawRef: subject.oauthTokens.rawRef } } : {}),
  };
}

function shownAlert(alert: Alert, policy: DisplayPolicy, redact: (text: string) => string): Alert {
  const allowed = policy.showTitles.includes(alert.source);
  return {
    ...alert,
    kind: allowed ? redact(alert.kind) : shownKind(alert.kind),
    title: allowed ? redact(alert.title) : WITHHELD,
    labels: allowed ? Object.fromEntries(Object.entries(alert.labels).map(([k, v]) => [redact(k), redact(v)])) : {},
    subject: shownSubject(alert.subject),
  };
}

function shownStep(step: StepState, redact: (text: string) => string): StepState {
  // Parameters are resolved from the alerts and can hold anything; the plan says what they do.
  const { params: _params, ...rest } = step;
  return {
    ...rest,
    ...(step.summary !== undefined ? { summary: redact(step.summary) } : {}),
    ...(step.error !== undefined ? { error: redact(step.error) } : {}),
    ...(step.plan ? { plan: step.plan.map(redact) } : {}),
    approvals: step.approvals.map((a) => ({ ...a, by: maskText(a.by), justification: redact(a.justification) })),
    ...(step.undo ? { undo: { ...step.undo, description: redact(step.undo.description), params: {} } } : {}),
  };
}

/** The incident as a person may see it: every free-text field withheld or redacted. */
export function displayState(state: IncidentState, policy: DisplayPolicy): IncidentState {
  const redact = redactorFor(state.alerts, policy);
  return {
    ...state,
    title: shownTitle(state, policy, redact),
    ...(state.resolution !== undefined ? { resolution: redact(state.resolution) } : {}),
    alerts: state.alerts.map((a) => shownAlert(a, policy, redact)),
    steps: state.steps.map((s) => shownStep(s, redact)),
  };
}

/** The timeline as a person may see it. */
export function displayTimeline(timeline: readonly TimelineEntry[], state: Pick<IncidentState, 'alerts'>, policy: DisplayPolicy): TimelineEntry[] {
  const redact = redactorFor(state.alerts, policy);
  return timeline.map((t) => ({ ...t, message: redact(t.message), actor: maskText(t.actor) }));
}
