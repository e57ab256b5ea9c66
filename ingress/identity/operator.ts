import { singleEventId, type AuditSink } from '../../activities/audit-sink';
import type { OidcSettings } from '../../platform/identity-config';
import { HttpError } from '../errors';
import { looksLikeApiToken } from './api-tokens';
import type { Directory } from './directory';
import { TokenRejected, type OidcVerifier } from './oidc';

/** A person the ingress has verified, with their groups now and where they came from. */
export interface Operator {
  person: string;
  groups: string[];
  /** `api:<client address>`, `slack:<team>/<user>` */
  via: string;
  method: 'oidc' | 'api-token' | 'slack';
}

export class Unauthenticated extends HttpError {
  constructor(message: string) {
    super(401, message, 'unauthenticated');
  }
}

/** A Slack user, as the person the directory maps them to (Bolt verified the request's signature). */
export function slackOperator(directory: Directory, team: string | undefined, user: string): Operator {
  const person = directory.bySlackUser(user);
  return { person, groups: directory.groupsOf(person), via: `slack:${team ?? 'unknown'}/${user}`, method: 'slack' };
}

export interface OperatorAuthDeps {
  directory: Directory;
  oidc?: { verifier: OidcVerifier; settings: OidcSettings };
  audit: AuditSink;
}

const JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * `Authorization: Bearer <token>` → the operator: an OIDC JWT or a per-user API token. Every sign-in
 * and every refusal is audited (who, from where, why; never the token).
 */
export function operatorAuthenticator(deps: OperatorAuthDeps) {
  const refuse = async (address: string, method: string, reason: string): Promise<never> => {
    await deps.audit.append({
      id: singleEventId('ingress'),
      who: 'unauthenticated',
      what: 'operator.signin.refused',
      when: new Date().toISOString(),
      where: `api:${address}`,
      why: { reason },
      correlationId: `api:${address}`,
      details: { method },
    });
    throw new Unauthenticated(reason);
  };

  async function identify(token: string, address: string): Promise<Operator> {
    if (looksLikeApiToken(token)) {
      const person = deps.directory.byToken(token);
      if (!person) return refuse(address, 'api-token', 'unknown API token');
      return { person, groups: deps.directory.groupsOf(person), via: `api:${address}`, method: 'api-token' };
    }
    if (!JWT.test(token)) return refuse(address, 'unknown', 'the bearer token is neither an API token nor a JWT');
    if (!deps.oidc) return refuse(address, 'oidc', 'OIDC sign-in is not configured (operators.oidc); use an API token');
    let verified;
    try {
      verified = await deps.oidc.verifier.verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) return refuse(address, 'oidc', err.message);
      throw new HttpError(503, `the identity provider cannot be reached: ${(err as Error).message}`, 'idp_unavailable');
    }
    const { directory } = deps;
    const person =
      (verified.username && directory.has(verified.username) ? verified.username : undefined) ??
      (verified.email ? directory.byEmail(verified.email) : undefined) ??
      verified.username ??
      verified.email;
    if (!person) return refuse(address, 'oidc', `the token names nobody: no ${deps.oidc.settings.usernameClaim} or ${deps.oidc.settings.emailClaim} claim`);
    const groups = deps.oidc.settings.groupsFromToken ? [...(verified.groups ?? [])].sort() : directory.groupsOf(person);
    return { person, groups, via: `api:${address}`, method: 'oidc' };
  }

  return async (authorization: string | undefined, address: string): Promise<Operator> => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) return refuse(address, 'none', 'sign in: send Authorization: Bearer <token> (an API token from `npx tourniquet token create`, or an OIDC token)');
    const operator = await identify(token, address);
    await deps.audit.append({
      id: singleEventId('ingress'),
      who: operator.person,
      what: 'operator.signin',
      when: new Date().toISOString(),
      where: operator.via,
      why: {},
      correlationId: operator.via,
      details: { method: operator.method, groups: operator.groups },
    });
    return operator;
  };
}

export type OperatorAuthenticator = ReturnType<typeof operatorAuthenticator>;
