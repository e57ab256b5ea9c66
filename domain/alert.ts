import type { Severity } from './severity';

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'datadog', 'guardduty', 'generic', 'manual'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** Who or what an alert is about; each field is present only when the source names it. */
export interface AlertSubject {
  /** IAM user or role name (or ARN) */
  principal?: string;
  accessKeyId?: string;
  kmsKeyId?: string;
  /** attacker or client IP addresses / CIDRs */
  ips?: string[];
  service?: string;
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

/** Fingerprints become workflow ids; keep them to a safe alphabet. */
export function incidentIdFor(fingerprint: string): string {
  return `incident/${fingerprint}`;
}
