import type { AuditSink } from '../../activities/audit-sink';
import type { Config } from '../../platform/config';
import { loadSigningKey } from '../../platform/decision-keys';
import { createDecider, type Decider } from '../decisions';
import { accessSettingsFrom, Directory } from './directory';
import { oidcVerifier } from './oidc';
import { operatorAuthenticator, type OperatorAuthenticator } from './operator';

export { Directory, accessSettingsFrom, type AccessSettings } from './directory';
export { apiTokenHash, newApiToken } from './api-tokens';
export { slackOperator, type Operator } from './operator';

export interface IngressIdentity {
  directory: Directory;
  decider: Decider;
  authenticate: OperatorAuthenticator;
  /** the signing key file, `created` on this start (embedded default) */
  signingKey: { path: string; kid: string; created: boolean };
}

/**
 * The ingress's side of identity, from configuration: who people are and may do (reloadable), how
 * operators sign in, and the key decisions are signed with (created on first start unless a file
 * is configured).
 */
export function ingressIdentity(config: Config, audit: AuditSink): IngressIdentity {
  const directory = new Directory(accessSettingsFrom(config));
  const { key, path, created } = loadSigningKey(config, { create: true });
  const oidc = config.operators.oidc;
  return {
    directory,
    decider: createDecider({ directory, signingKey: key, audit }),
    authenticate: operatorAuthenticator({ directory, audit, ...(oidc ? { oidc: { verifier: oidcVerifier(oidc), settings: oidc } } : {}) }),
    signingKey: { path, kid: key.kid, created },
  };
}
