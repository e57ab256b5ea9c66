/**
 * What the configuration knows for a runbook's `raci` to name: the approver groups (unless none
 * is configured yet, or people's groups come from their identity provider's token, which no
 * configuration lists) and the incident roles.
 */
import type { Config } from '../platform/config';
import type { RunbookNames } from '../runbooks';

export function runbookNamesOf(config: Pick<Config, 'approverGroups' | 'roles' | 'operators'>): RunbookNames {
  const groups = Object.keys(config.approverGroups);
  const listed = groups.length > 0 && config.operators.oidc?.groupsFromToken !== true;
  return { roles: config.roles, ...(listed ? { groups: new Set(groups) } : {}) };
}
