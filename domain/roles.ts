/**
 * Incident roles: who leads the response (the incident commander), who speaks for it, who decides
 * about PHI and notification, who keeps the record. A responder assigns a role or hands it over;
 * each change is on the incident's timeline and the audit log with who, from where and why, and
 * the incident message shows who holds what.
 */
export const DEFAULT_INCIDENT_ROLES = ['incident-commander', 'communications-lead', 'privacy-officer', 'scribe'] as const;

export interface RoleHolder {
  person: string;
  since: string;
  /** who assigned it */
  by: string;
}

export type IncidentRoles = Record<string, RoleHolder>;

const ROLE = /^[a-z][a-z0-9-]{0,39}$/;
/** people as the directory names them: a configured name, a Slack user id, an e-mail address */
const PERSON = /^[\w.@+-]{1,128}$/;

/**
 * Why this assignment is refused, or undefined. `known`: the configured roles (the ingress checks
 * them); the workflow, which has no configuration, checks the form only.
 */
export function rejectRoleAssignment(role: string, person: string, known?: readonly string[]): string | undefined {
  if (typeof role !== 'string' || !ROLE.test(role)) return 'a role is lowercase letters, digits and dashes';
  if (known && !known.includes(role)) return `no role "${role}" (roles: ${known.join(', ')})`;
  if (typeof person !== 'string' || !PERSON.test(person)) return 'a person is named by letters, digits and . @ + - _ only';
  return undefined;
}

/** "incident-commander: alice · scribe: bob", in the configured order where known. */
export function rolesLine(roles: IncidentRoles | undefined, order: readonly string[] = DEFAULT_INCIDENT_ROLES, show: (person: string) => string = (p) => p): string | undefined {
  const held = Object.keys(roles ?? {}).sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  return held.length > 0 ? held.map((role) => `${role}: ${show(roles![role]!.person)}`).join(' · ') : undefined;
}

const rank = (order: readonly string[], role: string) => (order.includes(role) ? order.indexOf(role) : order.length);
