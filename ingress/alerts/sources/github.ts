import { z } from 'zod';
import type { Severity } from '../../../domain/severity';
import type { SourceAlert } from '../normalise';
import { severityFromWord } from '../severity-words';
import { defineSource } from './source';

/**
 * GitHub repository or organisation webhooks (`X-Hub-Signature-256`): `secret_scanning_alert` and
 * `dependabot_alert` events are alerts; `ping` (sent when the hook is created) and every other
 * action are accepted and start nothing. The event name travels in `X-GitHub-Event`, which is not
 * signed, so each event is told by its documented shape instead.
 *
 * Redelivery: GitHub redelivers a failed (or hand-redelivered) event with the same body and the
 * same `X-GitHub-Delivery`; the same body is the same delivery here, so it attaches once.
 */
const repository = z.object({
  id: z.number().int(),
  name: z.string().min(1).max(200),
  full_name: z.string().min(1).max(300),
  html_url: z.string().max(2000).optional(),
  private: z.boolean().optional(),
});

const timestamp = z.iso.datetime({ offset: true });

const SecretScanningEvent = z.object({
  action: z.string().min(1).max(50),
  alert: z.object({
    number: z.number().int().min(1),
    created_at: timestamp,
    updated_at: timestamp.nullish(),
    html_url: z.string().max(2000).optional(),
    secret_type: z.string().min(1).max(200),
    secret_type_display_name: z.string().max(200).optional(),
    validity: z.enum(['active', 'inactive', 'unknown']).optional(),
    resolution: z.string().max(50).nullish(),
    resolved_at: timestamp.nullish(),
    push_protection_bypassed: z.boolean().nullish(),
  }),
  repository,
});

const DependabotEvent = z.object({
  action: z.string().min(1).max(50),
  alert: z.object({
    number: z.number().int().min(1),
    state: z.string().max(50),
    created_at: timestamp,
    updated_at: timestamp,
    html_url: z.string().max(2000).optional(),
    dependency: z.object({
      package: z.object({ ecosystem: z.string().max(100), name: z.string().min(1).max(500) }),
      manifest_path: z.string().max(2000).optional(),
      scope: z.string().max(50).nullish(),
    }),
    security_advisory: z.object({
      ghsa_id: z.string().min(1).max(100),
      cve_id: z.string().max(100).nullish(),
      summary: z.string().max(4000),
      severity: z.string().max(20),
    }),
    security_vulnerability: z.object({
      severity: z.string().max(20),
      vulnerable_version_range: z.string().max(500).optional(),
      first_patched_version: z.object({ identifier: z.string().max(200) }).nullish(),
    }),
  }),
  repository,
});

const PingEvent = z.object({ zen: z.string().max(500), hook_id: z.number().int() });

const GitHubPayload = z.union([PingEvent, SecretScanningEvent, DependabotEvent]);

/** The secret types GitHub names for AWS credentials: an exposed one goes to the credential runbook. */
const AWS_SECRET_TYPE = /^aws_/;

const SECRET_STATUS: Record<string, SourceAlert['status']> = {
  created: 'firing',
  reopened: 'firing',
  publicly_leaked: 'firing',
  resolved: 'resolved',
};

const DEPENDABOT_STATUS: Record<string, SourceAlert['status']> = {
  created: 'firing',
  reopened: 'firing',
  reintroduced: 'firing',
  auto_reopened: 'firing',
  fixed: 'resolved',
  dismissed: 'resolved',
  auto_dismissed: 'resolved',
};

function secretAlert(e: z.infer<typeof SecretScanningEvent>): SourceAlert[] {
  const status = SECRET_STATUS[e.action];
  if (!status) return [];
  const a = e.alert;
  const aws = AWS_SECRET_TYPE.test(a.secret_type);
  // A credential GitHub checked and found working is being exposed right now.
  const severity: Severity = a.validity === 'active' || e.action === 'publicly_leaked' ? 'critical' : 'high';
  const labels: Record<string, string> = {
    repository: e.repository.full_name,
    github_alert: String(a.number),
    secret_type: a.secret_type,
  };
  if (a.validity) labels.validity = a.validity;
  if (a.html_url) labels.alert_url = a.html_url;
  return [
    {
      kind: aws ? 'LeakedAccessKey' : 'LeakedSecret',
      severity,
      status,
      title: `${a.secret_type_display_name ?? a.secret_type} exposed in ${e.repository.full_name}`.slice(0, 500),
      // GitHub does not put the secret in the webhook: the key id is looked up from the alert (labels.alert_url).
      subject: { service: e.repository.name },
      labels,
      observedAt: status === 'resolved' ? (a.resolved_at ?? a.updated_at ?? a.created_at) : a.created_at,
      sourceFingerprint: `${e.repository.full_name}#secret-scanning/${a.number}`,
      sourceId: `${e.repository.full_name}#secret-scanning/${a.number}@${e.action}@${a.updated_at ?? a.created_at}`,
    },
  ];
}

function dependabotAlert(e: z.infer<typeof DependabotEvent>): SourceAlert[] {
  const status = DEPENDABOT_STATUS[e.action];
  if (!status) return [];
  const a = e.alert;
  const labels: Record<string, string> = {
    repository: e.repository.full_name,
    github_alert: String(a.number),
    package: a.dependency.package.name,
    ecosystem: a.dependency.package.ecosystem,
    advisory: a.security_advisory.ghsa_id,
    resolution: e.action,
  };
  if (a.security_advisory.cve_id) labels.cve = a.security_advisory.cve_id;
  if (a.dependency.manifest_path) labels.manifest = a.dependency.manifest_path;
  if (a.security_vulnerability.first_patched_version) labels.fixed_in = a.security_vulnerability.first_patched_version.identifier;
  if (a.html_url) labels.alert_url = a.html_url;
  return [
    {
      kind: 'VulnerableDependency',
      severity: severityFromWord(a.security_vulnerability.severity) ?? severityFromWord(a.security_advisory.severity) ?? 'medium',
      status,
      title: a.security_advisory.summary.slice(0, 500) || `${a.security_advisory.ghsa_id} in ${a.dependency.package.name}`,
      subject: { service: e.repository.name },
      labels,
      observedAt: status === 'resolved' ? a.updated_at : a.created_at,
      // Created, fixed and reopened events of one alert meet in one incident.
      sourceFingerprint: `${e.repository.full_name}#dependabot/${a.number}`,
      sourceId: `${e.repository.full_name}#dependabot/${a.number}@${e.action}@${a.updated_at}`,
    },
  ];
}

export const github = defineSource({
  name: 'github',
  schema: GitHubPayload,
  toAlerts: (payload) => {
    if ('zen' in payload) return [];
    if ('secret_type' in payload.alert) return secretAlert(payload as z.infer<typeof SecretScanningEvent>);
    return dependabotAlert(payload as z.infer<typeof DependabotEvent>);
  },
});
