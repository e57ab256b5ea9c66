import { createHash } from 'node:crypto';
import type { Alert, AlertSource, AlertSubject, OAuthTokenRef } from '../../domain/alert';
import { withPrincipalType } from '../../domain/principal';

/** What every source mapping produces; the shared part (ids, fingerprint) is added here. */
export interface SourceAlert extends Pick<Alert, 'kind' | 'severity' | 'status' | 'title' | 'labels'> {
  /** tokens are named without the delivery that holds them: that is known once it is stored */
  subject: Omit<AlertSubject, 'oauthTokens'> & { oauthTokens?: Omit<OAuthTokenRef, 'rawRef'> };
  /** when the source saw it, if it says; otherwise the time of receipt */
  observedAt?: string;
  /** the source's own grouping key, if it has one */
  sourceFingerprint?: string;
  /** the source's own id for this alert occurrence, if it has one */
  sourceId?: string;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * The fingerprint names the incident: alerts about the same thing from the same source share it.
 * Without a source fingerprint: kind + the subject's stable identifiers (not IPs, so an attack
 * from many addresses stays one incident). The principal counts as the source named it: its ARN
 * when it gave one (as alerts naming an ARN were fingerprinted before the name was parsed out),
 * else its name; its type does not count, so typing a principal never splits an incident.
 */
export function fingerprintOf(source: AlertSource, a: SourceAlert): string {
  if (a.sourceFingerprint) return hash(source, 'fp', a.sourceFingerprint);
  const s = a.subject;
  // The resources added later count only when present, so fingerprints made before them stay as they were.
  const resources = [
    s.bucket,
    s.securityGroupId,
    s.cognitoUser && `cognito:${s.cognitoUser.userPoolId}/${s.cognitoUser.username}`,
    s.oauthTokens && `oauth:${s.oauthTokens.app}/${[...s.oauthTokens.fingerprints].sort().join(',')}`,
  ].filter((r): r is string => r !== undefined);
  return hash(source, a.kind, s.principalArn ?? s.principal ?? '', s.accessKeyId ?? '', s.kmsKeyId ?? '', s.service ?? '', ...resources);
}

export function normalise(source: AlertSource, a: SourceAlert, rawRef: string, index: number, receivedAt: Date): Alert {
  const fingerprint = fingerprintOf(source, a);
  const observedAt = a.observedAt ? new Date(a.observedAt).toISOString() : receivedAt.toISOString();
  return {
    source,
    kind: a.kind,
    severity: a.severity,
    status: a.status,
    title: a.title,
    subject: withPrincipalType(a.subject.oauthTokens ? { ...a.subject, oauthTokens: { ...a.subject.oauthTokens, rawRef } } : (a.subject as AlertSubject)),
    labels: a.labels,
    observedAt,
    fingerprint,
    // A retried delivery has the same body (same rawRef) or the same source id: same delivery id.
    deliveryId: a.sourceId ? hash(source, 'id', a.sourceId, a.status) : hash(rawRef, String(index)),
    rawRef,
  };
}
