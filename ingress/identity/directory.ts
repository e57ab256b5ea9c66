import { timingSafeEqual } from 'node:crypto';
import { authorityTable, type AuthorityTable } from '../../domain/authority';
import { DEFAULT_INCIDENT_ROLES } from '../../domain/roles';
import type { Config } from '../../platform/config';
import type { People } from '../../platform/identity-config';
import { apiTokenHash } from './api-tokens';

/**
 * The people, their groups and the authority table, as the ingress has them loaded now. One id per
 * person whatever channel they use (Slack user, IdP account, API token), so one person never counts
 * twice in a two-person rule. Groups are read at each decision: `replace` (a configuration reload)
 * reaches running incidents, because the grant carries the groups of the moment.
 */
export interface AccessSettings {
  people: People;
  /** group → members: person ids (a Slack user id or e-mail of a person counts as that person) */
  groups: Record<string, string[]>;
  authority: AuthorityTable;
  /** the incident roles people may be assigned (domain/roles.ts); default: DEFAULT_INCIDENT_ROLES */
  roles?: readonly string[];
}

export function accessSettingsFrom(config: Pick<Config, 'people' | 'approverGroups' | 'authority'> & Partial<Pick<Config, 'roles'>>): AccessSettings {
  const configured = Object.fromEntries(Object.entries(config.authority).filter(([, groups]) => groups !== undefined));
  return { people: config.people, groups: config.approverGroups, authority: authorityTable(configured), ...(config.roles ? { roles: config.roles } : {}) };
}

export class Directory {
  private settings: AccessSettings;
  private tokens: { person: string; hash: Buffer }[] = [];

  constructor(settings: AccessSettings) {
    this.settings = settings;
    this.index();
  }

  /** A configuration reload: the next decision is judged by these people, groups and rows. */
  replace(settings: AccessSettings): void {
    this.settings = settings;
    this.index();
  }

  private index(): void {
    this.tokens = Object.entries(this.settings.people).flatMap(([person, p]) => p.tokenHashes.map((h) => ({ person, hash: Buffer.from(h, 'hex') })));
  }

  /** the incident roles, in the order they are shown */
  get roles(): readonly string[] {
    return this.settings.roles ?? DEFAULT_INCIDENT_ROLES;
  }

  get authority(): AuthorityTable {
    return this.settings.authority;
  }

  has(person: string): boolean {
    return Object.hasOwn(this.settings.people, person);
  }

  /** The person a Slack user is; an unmapped Slack user is known by their Slack user id. */
  bySlackUser(userId: string): string {
    return Object.entries(this.settings.people).find(([, p]) => p.slack === userId)?.[0] ?? userId;
  }

  byEmail(email: string): string | undefined {
    const wanted = email.toLowerCase();
    return Object.entries(this.settings.people).find(([, p]) => p.email?.toLowerCase() === wanted)?.[0];
  }

  /** The holder of an API token; every stored hash is compared, in constant time. */
  byToken(token: string): string | undefined {
    const presented = Buffer.from(apiTokenHash(token), 'hex');
    let found: string | undefined;
    for (const { person, hash } of this.tokens) if (timingSafeEqual(presented, hash) && found === undefined) found = person;
    return found;
  }

  /** The groups whose members name this person (by id, Slack user id or e-mail), now. */
  groupsOf(person: string): string[] {
    const p = this.settings.people[person];
    const names = new Set([person, ...(p?.slack ? [p.slack] : []), ...(p?.email ? [p.email.toLowerCase()] : [])]);
    return Object.entries(this.settings.groups)
      .filter(([, members]) => members.some((m) => names.has(m) || names.has(m.toLowerCase())))
      .map(([group]) => group)
      .sort();
  }

  /** Members as Slack mentions: a person's Slack user id where known, else their id. */
  slackMembers(): Record<string, string[]> {
    return Object.fromEntries(
      Object.entries(this.settings.groups).map(([group, members]) => [group, members.map((m) => this.settings.people[m]?.slack ?? m)]),
    );
  }
}
