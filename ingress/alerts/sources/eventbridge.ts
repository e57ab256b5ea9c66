import { z } from 'zod';
import type { AlertSubject } from '../../../domain/alert';
import type { Severity } from '../../../domain/severity';
import type { SourceAlert } from '../normalise';
import { severityFromWord } from '../severity-words';
import { defineSource } from './source';

/**
 * Findings of AWS's posture services as EventBridge delivers them (an API destination posting the
 * event): IAM Access Analyzer (`Access Analyzer Finding`), Security Hub (`Security Hub Findings -
 * Imported`, findings in ASFF), AWS Config (`Config Rules Compliance Change`) and Amazon Inspector
 * (`Inspector2 Finding`). GuardDuty has its own source. Each finding names the resource it is
 * about: an S3 bucket or a security group becomes the subject, so a runbook can act on it; a
 * finding that the service closes (archived, passed, compliant, closed) resolves its incident.
 */
const envelope = {
  version: z.string().max(10),
  id: z.string().min(1).max(200),
  account: z.string().max(20),
  time: z.iso.datetime({ offset: true }),
  region: z.string().max(50),
  resources: z.array(z.string().max(2000)).max(100),
};
const timestamp = z.iso.datetime({ offset: true });

const AccessAnalyzerEvent = z.object({
  ...envelope,
  'detail-type': z.literal('Access Analyzer Finding'),
  source: z.literal('aws.access-analyzer'),
  detail: z.object({
    id: z.string().min(1).max(200),
    status: z.enum(['ACTIVE', 'ARCHIVED', 'RESOLVED']),
    resourceType: z.string().max(200),
    resource: z.string().min(1).max(2000),
    accountId: z.string().max(20),
    isPublic: z.boolean().optional(),
    action: z.array(z.string().max(200)).max(200).optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
});

const AsffFinding = z.object({
  SchemaVersion: z.string().max(20),
  Id: z.string().min(1).max(512),
  ProductArn: z.string().max(2048),
  GeneratorId: z.string().max(512),
  AwsAccountId: z.string().max(20),
  Types: z.array(z.string().max(256)).max(50).optional(),
  CreatedAt: timestamp,
  UpdatedAt: timestamp,
  Severity: z.object({ Label: z.string().max(20).optional(), Normalized: z.number().optional() }),
  Title: z.string().max(256),
  Description: z.string().max(1024).optional(),
  Resources: z.array(z.object({ Type: z.string().max(256), Id: z.string().max(2048), Region: z.string().max(50).optional() })).min(1).max(32),
  Compliance: z.object({ Status: z.string().max(20).optional(), SecurityControlId: z.string().max(50).optional() }).optional(),
  Workflow: z.object({ Status: z.string().max(20) }).optional(),
  RecordState: z.enum(['ACTIVE', 'ARCHIVED']).optional(),
  ProductFields: z.record(z.string().max(128), z.string().max(2048)).optional(),
});

const SecurityHubEvent = z.object({
  ...envelope,
  'detail-type': z.literal('Security Hub Findings - Imported'),
  source: z.literal('aws.securityhub'),
  detail: z.object({ findings: z.array(AsffFinding).min(1).max(100) }),
});

const ConfigEvent = z.object({
  ...envelope,
  'detail-type': z.literal('Config Rules Compliance Change'),
  source: z.literal('aws.config'),
  detail: z.object({
    resourceId: z.string().min(1).max(768),
    resourceType: z.string().max(200),
    awsAccountId: z.string().max(20),
    awsRegion: z.string().max(50),
    configRuleName: z.string().min(1).max(128),
    messageType: z.string().max(100),
    newEvaluationResult: z.object({
      complianceType: z.enum(['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA']),
      resultRecordedTime: timestamp,
    }),
  }),
});

const InspectorEvent = z.object({
  ...envelope,
  'detail-type': z.literal('Inspector2 Finding'),
  source: z.literal('aws.inspector2'),
  detail: z.object({
    awsAccountId: z.string().max(20),
    findingArn: z.string().min(1).max(2048),
    type: z.string().max(100),
    status: z.enum(['ACTIVE', 'SUPPRESSED', 'CLOSED']),
    severity: z.string().max(20),
    title: z.string().max(1024),
    firstObservedAt: z.string().max(64),
    updatedAt: z.string().max(64),
    packageVulnerabilityDetails: z
      .object({
        vulnerabilityId: z.string().max(200),
        vulnerablePackages: z.array(z.object({ name: z.string().max(500), version: z.string().max(200).optional(), fixedInVersion: z.string().max(200).optional() })).max(100),
      })
      .optional(),
    resources: z.array(z.object({ id: z.string().max(2048), type: z.string().max(100), region: z.string().max(50).optional(), tags: z.record(z.string().max(128), z.string().max(256)).optional() })).min(1).max(10),
  }),
});

const EventBridgePayload = z.discriminatedUnion('detail-type', [AccessAnalyzerEvent, SecurityHubEvent, ConfigEvent, InspectorEvent], {
  error: 'only Access Analyzer, Security Hub, Config and Inspector2 finding events are accepted',
});

/** The resource an ARN or id names, as the subject fields the runbooks act on. */
function resourceSubject(ref: string): AlertSubject {
  const bucket = /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(ref)?.[1];
  if (bucket) return { bucket };
  const sg = /(?:^|security-group\/)(sg-[0-9a-f]{8,17})$/.exec(ref)?.[1];
  if (sg) return { securityGroupId: sg };
  return {};
}

/** Config and Inspector name resources by id or ARN and say their type apart. */
function typedResource(type: string, id: string): AlertSubject {
  if (type === 'AWS::S3::Bucket') return { bucket: id.replace(/^arn:aws[a-z-]*:s3:::/, '') };
  if (type === 'AWS::EC2::SecurityGroup') return resourceSubject(id);
  return resourceSubject(id);
}

const BANDS: [number, Severity][] = [
  [90, 'critical'],
  [70, 'high'],
  [40, 'medium'],
  [1, 'low'],
];

function asffSeverity(s: z.infer<typeof AsffFinding>['Severity']): Severity {
  return severityFromWord(s.Label) ?? BANDS.find(([min]) => (s.Normalized ?? 0) >= min)?.[1] ?? 'info';
}

function accessAnalyzer(e: z.infer<typeof AccessAnalyzerEvent>): SourceAlert[] {
  const f = e.detail;
  const labels: Record<string, string> = { account: f.accountId, region: e.region, resourceType: f.resourceType, analyzer_finding: f.id };
  return [
    {
      kind: `AccessAnalyzer/${f.isPublic ? 'Public' : 'External'}/${f.resourceType}`,
      severity: f.isPublic ? 'high' : 'medium',
      status: f.status === 'ACTIVE' ? 'firing' : 'resolved',
      title: `${f.resourceType} ${f.resource} is shared ${f.isPublic ? 'publicly' : 'outside the account'}`.slice(0, 500),
      subject: { accountId: f.accountId, ...resourceSubject(f.resource) },
      labels,
      observedAt: f.createdAt,
      sourceFingerprint: `access-analyzer|${f.accountId}|${f.id}`,
      sourceId: `access-analyzer|${f.id}@${f.status}@${f.updatedAt}`,
    },
  ];
}

function securityHub(e: z.infer<typeof SecurityHubEvent>): SourceAlert[] {
  return e.detail.findings.map((f) => {
    const control = f.Compliance?.SecurityControlId ?? f.ProductFields?.ControlId ?? f.GeneratorId.split('/').pop() ?? f.GeneratorId;
    const resource = f.Resources[0]!;
    const closed = f.RecordState === 'ARCHIVED' || f.Compliance?.Status === 'PASSED' || f.Workflow?.Status === 'RESOLVED';
    const labels: Record<string, string> = { account: f.AwsAccountId, control, resourceType: resource.Type };
    return {
      kind: `SecurityHub/${control}`.slice(0, 200),
      severity: asffSeverity(f.Severity),
      status: closed ? ('resolved' as const) : ('firing' as const),
      title: f.Title.slice(0, 500),
      subject: { accountId: f.AwsAccountId, ...resourceSubject(resource.Id) },
      labels,
      observedAt: f.CreatedAt,
      sourceFingerprint: `securityhub|${f.Id}`,
      sourceId: `securityhub|${f.Id}@${f.UpdatedAt}`,
    };
  });
}

function config(e: z.infer<typeof ConfigEvent>): SourceAlert[] {
  const d = e.detail;
  const compliance = d.newEvaluationResult.complianceType;
  // Not applicable and insufficient data say nothing about the resource.
  if (compliance !== 'COMPLIANT' && compliance !== 'NON_COMPLIANT') return [];
  return [
    {
      kind: `Config/${d.configRuleName}`.slice(0, 200),
      severity: 'high',
      status: compliance === 'NON_COMPLIANT' ? 'firing' : 'resolved',
      title: `${d.resourceType} ${d.resourceId} is ${compliance} with Config rule ${d.configRuleName}`.slice(0, 500),
      subject: { accountId: d.awsAccountId, ...typedResource(d.resourceType, d.resourceId) },
      labels: { account: d.awsAccountId, region: d.awsRegion, resourceType: d.resourceType, config_rule: d.configRuleName },
      observedAt: d.newEvaluationResult.resultRecordedTime,
      sourceFingerprint: `config|${d.awsAccountId}|${d.awsRegion}|${d.configRuleName}|${d.resourceId}`,
      sourceId: `config|${d.configRuleName}|${d.resourceId}@${compliance}@${d.newEvaluationResult.resultRecordedTime}`,
    },
  ];
}

function inspector(e: z.infer<typeof InspectorEvent>): SourceAlert[] {
  const d = e.detail;
  const resource = d.resources[0]!;
  const vuln = d.packageVulnerabilityDetails;
  const labels: Record<string, string> = { account: d.awsAccountId, resourceType: resource.type, resource: resource.id, finding_type: d.type };
  if (vuln) {
    labels.cve = vuln.vulnerabilityId;
    const pkg = vuln.vulnerablePackages[0];
    if (pkg) {
      labels.package = pkg.name;
      if (pkg.fixedInVersion) labels.fixed_in = pkg.fixedInVersion;
    }
  }
  // Resources carry their owner as a tag where teams tag them; it is the service to tell.
  const owner = resource.tags?.service ?? resource.tags?.Service;
  return [
    {
      kind: d.type === 'PACKAGE_VULNERABILITY' ? 'VulnerableDependency' : `Inspector/${d.type}`,
      severity: severityFromWord(d.severity) ?? 'medium',
      status: d.status === 'ACTIVE' ? 'firing' : 'resolved',
      title: d.title.slice(0, 500),
      subject: { accountId: d.awsAccountId, ...(owner ? { service: owner } : {}) },
      labels,
      // Inspector writes its own times as prose ("May 2, 2024, 10:58:00 AM"); the envelope's is ISO 8601.
      observedAt: e.time,
      sourceFingerprint: `inspector|${d.findingArn}`,
      sourceId: `inspector|${d.findingArn}@${d.status}@${d.updatedAt}`,
    },
  ];
}

export const eventbridge = defineSource({
  name: 'eventbridge',
  schema: EventBridgePayload,
  toAlerts: (event) => {
    switch (event['detail-type']) {
      case 'Access Analyzer Finding':
        return accessAnalyzer(event);
      case 'Security Hub Findings - Imported':
        return securityHub(event);
      case 'Config Rules Compliance Change':
        return config(event);
      case 'Inspector2 Finding':
        return inspector(event);
    }
  },
});
