import { recordWrite } from './ledger';
import { createHash } from 'node:crypto';
import { finalFailure, isFinalHttpStatus } from '../errors';
import { requestSignal } from '../heartbeat';
import { getRawPayload } from '../evidence/raw-payloads';
import { UnreadableEvidenceError } from '../evidence/sealed-store';
import type { EvidenceStore } from '../evidence/store';
import type { AwsSettings } from './clients';
import type { OAuthTokens } from './params';

/**
 * OAuth 2.0 token revocation (RFC 7009) for application tokens issued to a compromised client or
 * user. Revoking a token that is already invalid answers 200 (RFC 7009 §2.2), so a retry is
 * harmless. Tokens are secrets: only their fingerprints leave this module.
 *
 * A runbook may name tokens; an alert names them by fingerprint (domain/alert.ts `OAuthTokenRef`),
 * and they are read back here from the sealed delivery that carried them, each time they are
 * needed, so they never travel through Temporal history.
 */

export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

export function oauthApp(settings: AwsSettings, app: string): AwsSettings['oauth'][string] {
  const found = settings.oauth[app];
  if (!found) throw finalFailure(`no OAuth application ${JSON.stringify(app)} is configured (aws.oauth)`, 'ValidationError');
  return found;
}

/** Where alert-named tokens are read back from: the evidence store the ingress writes deliveries to. */
export interface TokenSource {
  evidence?: { store: EvidenceStore };
}

/** Every string in a JSON document. */
function* stringsIn(node: unknown): Generator<string> {
  if (typeof node === 'string') yield node;
  else if (Array.isArray(node)) for (const item of node) yield* stringsIn(item);
  else if (node && typeof node === 'object') for (const value of Object.values(node)) yield* stringsIn(value);
}

/**
 * The tokens a step revokes, in the order it names them. Alert-named ones are the strings of the
 * stored delivery whose fingerprints the alert gave; one that is not there fails the step before
 * anything is revoked (the delivery is write-once, so retrying cannot find it).
 */
export async function tokensOf(deps: TokenSource, oauth: OAuthTokens): Promise<string[]> {
  if ('tokens' in oauth) return oauth.tokens;
  if (!deps.evidence) throw finalFailure('alert-named OAuth tokens are read from the evidence store, and this worker has none', 'ValidationError');
  let bytes: Uint8Array | undefined;
  try {
    bytes = await getRawPayload(deps.evidence.store, oauth.rawRef);
  } catch (err) {
    if (err instanceof UnreadableEvidenceError) throw finalFailure(`the stored alert ${oauth.rawRef} cannot be read (${err.reason}); no token was revoked`, 'TokenNotFound');
    throw err;
  }
  if (!bytes) throw finalFailure(`the stored alert ${oauth.rawRef} is not in the evidence store; no token was revoked`, 'TokenNotFound');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw finalFailure(`the stored alert ${oauth.rawRef} is not JSON; no token was revoked`, 'TokenNotFound');
  }
  const byFingerprint = new Map<string, string>();
  const wanted = new Set(oauth.fingerprints);
  for (const s of stringsIn(doc)) {
    const fp = tokenFingerprint(s);
    if (wanted.has(fp) && !byFingerprint.has(fp)) byFingerprint.set(fp, s);
  }
  const absent = oauth.fingerprints.filter((fp) => !byFingerprint.has(fp));
  if (absent.length > 0) throw finalFailure(`the stored alert ${oauth.rawRef} holds no token with fingerprint ${absent.join(', ')}; no token was revoked`, 'TokenNotFound');
  return oauth.fingerprints.map((fp) => byFingerprint.get(fp)!);
}

export function createOAuthActivities(deps: { awsSettings: AwsSettings; fetch: typeof fetch } & TokenSource) {
  return {
    /** `tokens` (plans made before alerts could name tokens), or the step's `oauth` parameter as the plan keeps it */
    async revokeOAuthTokens(input: { app: string; tokens: string[] } | OAuthTokens): Promise<{ revoked: string[] }> {
      const app = oauthApp(deps.awsSettings, input.app);
      const host = new URL(app.revocationEndpoint).host;
      const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
      const revoked: string[] = [];
      for (const token of await tokensOf(deps, input)) {
        const response = await deps.fetch(app.revocationEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
          body: new URLSearchParams({ token }).toString(),
          signal: requestSignal(30_000),
        });
        // §2.2.1: 503 asks the client to retry later; other errors are the client's fault.
        if (isFinalHttpStatus(response.status)) {
          throw finalFailure(`OAuth revocation at ${host} refused ${tokenFingerprint(token)}: ${response.status}`, 'OAuthRevocationRejected');
        }
        if (!response.ok) throw new Error(`OAuth revocation at ${host} answered ${response.status}`);
        revoked.push(tokenFingerprint(token));
        await recordWrite({ api: 'oauth:revoke (RFC 7009)', resource: `${host}/token/${tokenFingerprint(token)}`, before: { active: 'unknown' }, after: { active: false } });
      }
      return { revoked };
    },
  };
}
