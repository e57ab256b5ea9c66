import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcSettings } from '../../platform/identity-config';

/**
 * OIDC bearer tokens (JWTs from the organisation's identity provider), verified with jose against
 * the issuer's JWKS: signature by a key the issuer publishes, `iss`, `aud`, `exp`/`nbf` with a small
 * clock tolerance, and only the allowed algorithms (never `none`, never an HMAC an attacker could
 * forge with a public key). The JWKS location comes from the issuer's discovery document unless
 * configured; keys are cached and refetched when a token names an unknown key id.
 */
export interface VerifiedToken {
  subject: string;
  username?: string;
  email?: string;
  /** the groups claim, when the token has one */
  groups?: string[];
}

export class TokenRejected extends Error {}

export interface OidcVerifier {
  verify(jwt: string): Promise<VerifiedToken>;
}

export function oidcVerifier(settings: OidcSettings): OidcVerifier {
  let keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  async function discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (settings.jwksUrl) return createRemoteJWKSet(new URL(settings.jwksUrl));
    const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== settings.issuer) throw new Error(`OIDC discovery at ${url} names issuer ${String(doc.issuer)}, not ${settings.issuer}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
    return createRemoteJWKSet(new URL(doc.jwks_uri));
  }

  const claim = (payload: JWTPayload, name: string): unknown => payload[name];

  return {
    async verify(jwt) {
      keySet ??= discover().catch((err: unknown) => {
        keySet = undefined;
        throw err;
      });
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(jwt, await keySet, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: settings.algorithms,
          clockTolerance: settings.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        if (err instanceof errors.JOSEError) throw new TokenRejected(describe(err));
        throw err;
      }
      const username = claim(payload, settings.usernameClaim);
      const email = claim(payload, settings.emailClaim);
      const groups = claim(payload, settings.groupsClaim);
      return {
        subject: payload.sub!,
        ...(typeof username === 'string' && username ? { username } : {}),
        ...(typeof email === 'string' && email ? { email } : {}),
        ...(Array.isArray(groups) ? { groups: groups.filter((g): g is string => typeof g === 'string') } : {}),
      };
    },
  };
}

/** jose's reasons, in words for the 401 and the audit record (never the token itself). */
function describe(err: InstanceType<typeof errors.JOSEError>): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'the token is not signed by a key of the configured issuer';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token uses an algorithm that is not allowed';
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'the token is malformed';
  return `the token is not accepted (${err.code})`;
}
