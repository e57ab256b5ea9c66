import { z } from 'zod';
import { COGNITO_USER_POOL_ID, COGNITO_USERNAME, type AlertSubject } from '../../domain/alert';
import { principalFields } from '../../domain/principal';
import type { SourceAlert } from './normalise';
import { severityFromWord } from './severity-words';

/**
 * Alertmanager's webhook and Grafana's share one alert shape (Grafana's notifier is a fork of
 * Alertmanager): status, labels, annotations, startsAt/endsAt, fingerprint. Parsed and mapped here
 * once; each source file adds only its envelope.
 */
/** Label and annotation maps: string keys to string values, each bounded; anything else is refused. */
export const labelMap = z.record(z.string().max(200), z.string().max(4000));

export const PrometheusStyleAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generatorURL: z.string().max(4000).optional(),
  fingerprint: z.string().min(1).max(200),
});
export type PrometheusStyleAlert = z.infer<typeof PrometheusStyleAlert>;

export const MAX_ALERTS_PER_DELIVERY = 1000;

/** The first label present among `names`. */
const first = (labels: Record<string, string>, ...names: string[]): string | undefined =>
  names.map((n) => labels[n]).find((v) => v !== undefined && v !== '');

/** Conventional label names for what an alert is about (documented in README "Alert sources"). */
export function subjectFromLabels(labels: Record<string, string>): AlertSubject {
  const principal = first(labels, 'principal');
  const iamUser = first(labels, 'iam_user');
  const subject: AlertSubject = principalFields({
    name: principal ?? iamUser ?? first(labels, 'user'),
    arn: first(labels, 'principal_arn', 'user_arn'),
    // `iam_user` names the type as well as the user.
    type: first(labels, 'principal_type') ?? (!principal && iamUser ? 'iam-user' : undefined),
    accountId: first(labels, 'account_id', 'aws_account_id'),
    sessionName: first(labels, 'session_name'),
    sessionIssuer: first(labels, 'session_issuer'),
  });
  const accessKeyId = first(labels, 'access_key_id', 'accessKeyId');
  const kmsKeyId = first(labels, 'kms_key_id', 'kmsKeyId');
  const ip = first(labels, 'ip', 'source_ip', 'client_ip');
  const service = first(labels, 'service', 'job');
  if (accessKeyId) subject.accessKeyId = accessKeyId;
  if (kmsKeyId) subject.kmsKeyId = kmsKeyId;
  if (ip) subject.ips = [ip];
  if (service) subject.service = service;
  // A Cognito user is named by both labels, each in Cognito's own form; otherwise not at all.
  const userPoolId = first(labels, 'cognito_user_pool_id', 'user_pool_id');
  const username = first(labels, 'cognito_username');
  if (userPoolId && username && userPoolId.length <= 55 && COGNITO_USER_POOL_ID.test(userPoolId) && username.length <= 128 && COGNITO_USERNAME.test(username)) {
    subject.cognitoUser = { userPoolId, username };
  }
  return subject;
}

export function fromPrometheusStyle(alert: PrometheusStyleAlert): SourceAlert {
  const kind = alert.labels.alertname || 'UnnamedAlert';
  return {
    kind: kind.slice(0, 200),
    severity: severityFromWord(first(alert.labels, 'severity', 'priority')) ?? 'medium',
    status: alert.status,
    title: (alert.annotations.summary || alert.annotations.description || kind).slice(0, 500),
    subject: subjectFromLabels(alert.labels),
    labels: alert.labels,
    observedAt: alert.startsAt,
    sourceFingerprint: alert.fingerprint,
    // The same alert re-sent on every repeat interval keeps its fingerprint and start time.
    sourceId: `${alert.fingerprint}@${alert.startsAt}`,
  };
}
