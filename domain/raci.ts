/**
 * A runbook's RACI: who is Responsible (asked to approve its gated steps), Accountable (where an
 * unanswered approval escalates; may resolve or close the incident), Consulted (mentioned on its
 * approval requests) and Informed (mentioned on the incident's message). It adds nothing beside
 * the approval and notification machinery: it fills in the approval policies the runbook leaves
 * open, names the groups the notifier mentions, and narrows who may end the incident.
 */
import type { ApprovalPolicy } from './runbook';

/** The incident role that may always end an incident it leads (domain/roles.ts). */
export const INCIDENT_COMMANDER = 'incident-commander';

/** Accountable is an approver group, or whoever holds an incident role on the incident. */
export type RaciAccountable = string | { role: string };

export interface Raci {
  /** approver group asked for every gated step that names no `approval.group` */
  responsible: string;
  accountable: RaciAccountable;
  /** groups mentioned on approval requests */
  consulted: string[];
  /** groups mentioned on the incident's message */
  informed: string[];
}

/** The accountable group, when accountable is a group (not a role). */
export function accountableGroup(raci: Raci): string | undefined {
  return typeof raci.accountable === 'string' ? raci.accountable : undefined;
}

export function accountableRole(raci: Raci): string | undefined {
  return typeof raci.accountable === 'string' ? undefined : raci.accountable.role;
}

/** Every approver group the RACI names, each with where it is named. */
export function raciGroups(raci: Raci): { field: (string | number)[]; group: string }[] {
  const accountable = accountableGroup(raci);
  return [
    { field: ['responsible'], group: raci.responsible },
    ...(accountable ? [{ field: ['accountable'], group: accountable }] : []),
    ...raci.consulted.map((group, i) => ({ field: ['consulted', i], group })),
    ...raci.informed.map((group, i) => ({ field: ['informed', i], group })),
  ];
}

export type OpenApprovalPolicy = Omit<ApprovalPolicy, 'group'> & { group?: string };

/**
 * A step's approval policy with the RACI's defaults: no `group` asks the responsible group, no
 * `escalateTo` escalates to the accountable group. What the step says itself wins. Undefined
 * when the step names no group and the runbook has no RACI (the loader refuses that).
 */
export function approvalWithRaci(policy: OpenApprovalPolicy, raci: Raci | undefined): ApprovalPolicy | undefined {
  const group = policy.group ?? raci?.responsible;
  if (!group) return undefined;
  const escalateTo = policy.escalateTo ?? (raci ? accountableGroup(raci) : undefined);
  return { ...policy, group, ...(escalateTo ? { escalateTo } : {}) };
}

export interface EndingAttempt {
  raci: Raci | undefined;
  runbookId: string;
  /** the verified person and their groups when they decided (the grant's) */
  by: string;
  groups: readonly string[];
  /** who holds each incident role now */
  holders: Record<string, string>;
  verb: string;
}

/**
 * Why this person may not resolve or close the incident, or undefined. Without a RACI the
 * authority table alone decides (as before); with one, the person must be in the responsible or
 * accountable group, hold the accountable role, or be the incident commander.
 */
export function rejectEnding(attempt: EndingAttempt): string | undefined {
  const { raci, by, groups, holders } = attempt;
  if (!raci) return undefined;
  const group = accountableGroup(raci);
  const role = accountableRole(raci);
  if (groups.includes(raci.responsible) || (group && groups.includes(group))) return undefined;
  if (role && holders[role] === by) return undefined;
  if (holders[INCIDENT_COMMANDER] === by) return undefined;
  const who = [raci.responsible, ...(group ? [group] : []), ...(role && role !== INCIDENT_COMMANDER ? [`the ${role}`] : [])];
  return `${by} is neither responsible nor accountable for runbook ${attempt.runbookId}: ${attempt.verb} needs a member of ${who.join(' or ')}, or the ${INCIDENT_COMMANDER}`;
}
