import { recordWrite } from './ledger';
import { createHash } from 'node:crypto';
import { finalFailure, isFinalHttpStatus } from '../errors';
import { requestSignal } from '../heartbeat';
import type { AwsSettings } from './clients';

/**
 * OAuth 2.0 token revocation (RFC 7009) for application tokens issued to a compromised client or
 * user. Revoking a token that is already invalid answers 200 (RFC 7009 §2.2), so a retry is
 * harmless. Tokens are secrets: only their fingerprints leave this module.
 */

export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

export function oauthApp(settings: AwsSettings, app: string): AwsSettings['oauth'][string] {
  const found = settings.oauth[app];
  if (!found) throw finalFailure(`no OAuth application ${JSON.stringify(app)} is configured (aws.oauth)`, 'ValidationError');
  return found;
}

export function createOAuthActivities(deps: { awsSettings: AwsSettings; fetch: typeof fetch }) {
  return {
    async revokeOAuthTokens(input: { app: string; tokens: string[] }): Promise<{ revoked: string[] }> {
      const app = oauthApp(deps.awsSettings, input.app);
      const host = new URL(app.revocationEndpoint).host;
      const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
      const revoked: string[] = [];
      for (const token of input.tokens) {
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
