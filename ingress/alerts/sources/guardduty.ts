import { z } from 'zod';
import type { Severity } from '../../../domain/severity';
import type { AlertSubject } from '../../../domain/alert';
import { principalFields } from '../../../domain/principal';
import { defineSource } from './source';

/**
 * An Amazon GuardDuty finding as EventBridge delivers it (an API destination posting the event):
 * the EventBridge envelope with `detail-type: "GuardDuty Finding"` and the finding in `detail`.
 * One finding per event; GuardDuty has no "resolved" (archiving a finding sends nothing).
 */
const remoteIp = z.object({ ipAddressV4: z.string().max(64).optional(), ipAddressV6: z.string().max(64).optional() }).optional();

const Finding = z.object({
  schemaVersion: z.string().max(20),
  accountId: z.string().max(20),
  region: z.string().max(50),
  partition: z.string().max(20).optional(),
  id: z.string().min(1).max(200),
  arn: z.string().max(2000),
  type: z.string().min(1).max(200),
  resource: z.object({
    resourceType: z.string().max(100),
    accessKeyDetails: z
      .object({
        accessKeyId: z.string().max(128).optional(),
        principalId: z.string().max(512).optional(),
        userType: z.string().max(100).optional(),
        userName: z.string().max(512).optional(),
      })
      .optional(),
    instanceDetails: z.object({ instanceId: z.string().max(100).optional() }).optional(),
    // S3 protection findings (Impact:S3/*, Exfiltration:S3/*): the bucket(s) affected
    s3BucketDetails: z.array(z.object({ name: z.string().max(63).optional(), arn: z.string().max(2000).optional() })).max(50).optional(),
  }),
  service: z.object({
    serviceName: z.string().max(100),
    detectorId: z.string().max(100),
    action: z
      .object({
        actionType: z.string().max(100),
        awsApiCallAction: z.object({ api: z.string().max(200).optional(), remoteIpDetails: remoteIp }).optional(),
        networkConnectionAction: z.object({ remoteIpDetails: remoteIp }).optional(),
        // Recon:EC2/PortProbe*: one entry per probed port, each with the prober's address.
        portProbeAction: z.object({ portProbeDetails: z.array(z.object({ remoteIpDetails: remoteIp })).max(1000).optional() }).optional(),
      })
      .optional(),
    eventFirstSeen: z.iso.datetime({ offset: true }).optional(),
    eventLastSeen: z.iso.datetime({ offset: true }).optional(),
    archived: z.boolean().optional(),
    count: z.number().int().optional(),
    resourceRole: z.string().max(50).optional(),
  }),
  severity: z.number().min(0).max(10),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  title: z.string().max(4000),
  description: z.string().max(65_536).optional(),
});

const GuardDutyEvent = z.object({
  version: z.string().max(10),
  id: z.string().max(200),
  'detail-type': z.literal('GuardDuty Finding', { error: 'only "GuardDuty Finding" events are accepted' }),
  source: z.literal('aws.guardduty'),
  account: z.string().max(20),
  time: z.iso.datetime({ offset: true }),
  region: z.string().max(50),
  resources: z.array(z.string().max(2000)).max(100),
  detail: Finding,
});

/** GuardDuty's bands: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical. */
function severity(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

function subject(finding: z.infer<typeof Finding>): AlertSubject {
  const key = finding.resource.accessKeyDetails;
  const action = finding.service.action;
  const remotes = [
    action?.awsApiCallAction?.remoteIpDetails,
    action?.networkConnectionAction?.remoteIpDetails,
    ...(action?.portProbeAction?.portProbeDetails ?? []).map((d) => d.remoteIpDetails),
  ];
  // userType IAMUser / AssumedRole / FederatedUser / Root; for a role session userName is the role
  // and principalId `AROA…:<session>` (the instance id, for an EC2 instance role).
  const s: AlertSubject = key
    ? principalFields({ name: key.userName, type: key.userType, principalId: key.principalId, accountId: finding.accountId })
    : {};
  if (key?.accessKeyId) s.accessKeyId = key.accessKeyId;
  const addresses = [...new Set(remotes.map((ip) => ip?.ipAddressV4 ?? ip?.ipAddressV6).filter((a): a is string => !!a))];
  if (addresses.length > 0) s.ips = addresses.slice(0, 100);
  const bucket = finding.resource.s3BucketDetails?.[0]?.name;
  if (bucket) s.bucket = bucket;
  return s;
}

export const guardduty = defineSource({
  name: 'guardduty',
  schema: GuardDutyEvent,
  toAlerts: ({ detail: f }) => {
    const s = subject(f);
    const key = f.resource.accessKeyDetails;
    const labels: Record<string, string> = { account: f.accountId, region: f.region, resourceType: f.resource.resourceType };
    if (f.resource.instanceDetails?.instanceId) labels.instanceId = f.resource.instanceDetails.instanceId;
    return [
      {
        kind: f.type,
        severity: severity(f.severity),
        status: 'firing',
        title: (f.title || f.type).slice(0, 500),
        subject: s,
        labels,
        observedAt: f.service.eventFirstSeen ?? f.createdAt,
        // A storm of one finding type against one key (or instance) in one account is one incident.
        // The principal as GuardDuty names it (not as mapped), so running incidents keep their ids.
        sourceFingerprint: `${f.accountId}|${f.type}|${key?.accessKeyId || (key?.userName ?? key?.principalId) || labels.instanceId || f.id}`,
        // GuardDuty re-publishes an aggregated finding with a new updatedAt; the same event twice is one.
        sourceId: `${f.id}@${f.updatedAt}`,
      },
    ];
  },
});
