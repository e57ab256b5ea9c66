import type { Severity } from './severity';

/** Sources that deliver alerts by signed webhook (`POST /alerts/<source>`). */
export const WEBHOOK_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'datadog', 'guardduty', 'github', 'eventbridge', 'generic'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];
/** Every source an alert may name: the webhooks, and a person declaring an incident by hand. */
export const ALERT_SOURCES = [...WEBHOOK_SOURCES, 'manual'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/**
 * What kind of AWS principal an alert is about; it decides what revoking its credentials means.
 * `unknown`: the source gave only a name (the planner then looks for an IAM user, then a role).
 */
export const PRINCIPAL_TYPES = ['iam-user', 'assumed-role', 'federated-user', 'root', 'aws-service', 'unknown'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/** Who or what an alert is about; each field is present only when the source names it. */
export interface AlertSubject {
  /** the principal's name: IAM user, role (of an assumed-role session), federated user; `root`; an AWS service */
  principal?: string;
  /** set by the ingress whenever `principal` is, so a runbook can always pass it on */
  principalType?: PrincipalType;
  /** the principal's ARN, when the source gave one (for a role session, the session's ARN) */
  principalArn?: string;
  /** assumed role: the role session name (an instance id for an EC2 instance role) */
  sessionName?: string;
  /** federated user: the IAM user whose credentials created its sessions (GetFederationToken), when known */
  sessionIssuer?: string;
  /** the AWS account the principal belongs to */
  accountId?: string;
  accessKeyId?: string;
  kmsKeyId?: string;
  /** attacker or client IP addresses / CIDRs */
  ips?: string[];
  service?: string;
  /** an S3 bucket the alert is about (a public bucket, a bucket being encrypted) */
  bucket?: string;
  /** an EC2 security group the alert is about (`sg-…`) */
  securityGroupId?: string;
  /** a user of the API's Amazon Cognito user pool (its pool and user name; never a token) */
  cognitoUser?: CognitoUserRef;
  /** OAuth tokens of one of the API's applications (aws.oauth) that leaked or are misused: fingerprints, never the tokens */
  oauthTokens?: OAuthTokenRef;
}

/**
 * OAuth tokens an alert reports, as the alert carries them: by fingerprint. The tokens themselves
 * were in the delivery, which the ingress stores sealed (`rawRef`); revoking them (RFC 7009) reads
 * them back from there, in the activity that sends them to the application's revocation endpoint,
 * so no token is ever in Temporal history, a plan, a log or a message.
 */
export interface OAuthTokenRef {
  /** the application whose tokens they are: a key of aws.oauth */
  app: string;
  /** `sha256:<12 hex>` of each token (activities/aws/oauth.ts `tokenFingerprint`) */
  fingerprints: string[];
  /** the stored delivery that holds the tokens */
  rawRef: string;
}

/** An application name as aws.oauth keys and alerts give it. */
export const OAUTH_APP = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** A user of an Amazon Cognito user pool, as alerts and runbooks name one. */
export interface CognitoUserRef {
  /** `us-east-1_AbCdEf123` */
  userPoolId: string;
  /** the user name in the pool (or its alias: e-mail, phone, preferred user name, as the pool allows) */
  username: string;
}

/** Cognito's own patterns for a user pool id and a user name. */
export const COGNITO_USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
export const COGNITO_USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;

/** How plans, summaries and errors name a Cognito user. */
export function cognitoUserLabel(user: CognitoUserRef): string {
  return `Cognito user ${user.username} of user pool ${user.userPoolId}`;
}

/**
 * One alert, normalised from any source. It never carries the raw payload: that is stored
 * by the ingress and referenced by `rawRef`, so PHI in a payload stays out of Temporal history.
 */
export interface Alert {
  source: AlertSource;
  /** source-specific type, e.g. `UnauthorizedAccess:IAMUser/MaliciousIPCaller`, `LeakedAccessKey` */
  kind: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  title: string;
  subject: AlertSubject;
  labels: Record<string, string>;
  /** when the source observed the problem (ISO 8601, UTC) */
  observedAt: string;
  /** names the incident: the same fingerprint attaches to the same running incident */
  fingerprint: string;
  /** unique per delivered alert: a retried delivery has the same id and is attached once */
  deliveryId: string;
  /** reference to the stored raw payload (evidence store key) */
  rawRef: string;
}

/** Fingerprints become workflow ids (domain/ids.ts); keep them to a safe alphabet. */
export { incidentIdFor } from './ids';

/** A person declaring an incident by hand (Slack `/ir declare`, `POST /incidents`). */
export interface Declaration {
  title: string;
  severity: Severity;
  /** who declared it, and where (e.g. the Slack channel) */
  labels: Record<string, string>;
  /** names the incident: `manual-<…>` */
  fingerprint: string;
  /** `<channel>:<id>`: a retried declaration attaches once */
  deliveryId: string;
  observedAt: string;
}

/** The alert a declaration opens its incident with: no payload behind it, nothing to withhold. */
export function manualAlert(d: Declaration): Alert {
  return {
    source: 'manual',
    kind: 'ManualDeclaration',
    severity: d.severity,
    status: 'firing',
    title: d.title,
    subject: {},
    labels: d.labels,
    observedAt: d.observedAt,
    fingerprint: d.fingerprint,
    deliveryId: d.deliveryId,
    rawRef: 'none',
  };
}
