import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { Context } from '@temporalio/activity';
import type { IncidentState, TimelineEntry } from '../../domain/incident';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import type { AuditSink } from '../audit-sink';
import { classify } from '../errors';
import { SNAPSHOT_EVENT } from './anchors';
import { cloudTrailEvents, iamUserState, kmsKeyState, wafIpSetState, type EvidenceAwsClients } from './aws-state';
import { getRawPayload, isRawRef } from './raw-payloads';
import { UnreadableEvidenceError } from './sealed-store';
import { writeSnapshot, type CollectedArtifact } from './snapshot';
import type { EvidenceStore } from './store';

export interface EvidenceActivityDeps {
  evidence: {
    /** also where the ingress writes raw alert payloads (raw-payloads.ts) */
    store: EvidenceStore;
    /** `<dataDir>/raw`, where raw payloads went before they moved into the store; read when the store lacks one */
    legacyRawDir?: string;
    /** set when CloudTrail lookups are configured */
    cloudTrail?: CloudTrailClient;
    cloudTrailLookbackHours: number;
  };
}

/** What else the evidence activities read: the playbooks' AWS clients (evidence reads what they act on). */
interface EvidenceSharedDeps {
  aws: Pick<EvidenceAwsClients, 'iam' | 'kms' | 'waf'>;
  awsSettings: { wafIpSet?: { name: string; id: string; scope: 'REGIONAL' | 'CLOUDFRONT' } };
  audit: AuditSink;
}

export interface SnapshotRequest {
  incidentId: string;
  stepId: string;
  label?: string;
  /** deterministic per playbook run, so a retried activity finds the snapshot it already wrote */
  snapshotId: string;
  workflowId: string;
  runId: string;
}

/** PHI-free: goes back into workflow history and the timeline. */
export interface SnapshotResult {
  snapshotId: string;
  manifestKey: string;
  manifestHash: string;
  merkleRoot: string;
  artifacts: number;
  store: string;
}

export function createEvidenceActivities(deps: EvidenceActivityDeps & EvidenceSharedDeps) {
  const { store, legacyRawDir, cloudTrail, cloudTrailLookbackHours } = deps.evidence;
  const { aws } = deps;
  const { wafIpSet } = deps.awsSettings;

  async function readIncident(incidentId: string): Promise<{ state: IncidentState; timeline: TimelineEntry[] }> {
    const handle = Context.current().client.workflow.getHandle(incidentId);
    try {
      const [state, timeline] = await Promise.all([handle.query(stateQuery), handle.query(timelineQuery)]);
      return { state, timeline };
    } catch (err) {
      classify(err, `query incident ${incidentId}`);
    }
  }

  async function rawPayloads(state: IncidentState, at: () => string): Promise<CollectedArtifact[]> {
    const refs = [...new Set(state.alerts.map((a) => a.rawRef).filter(isRawRef))];
    const artifacts: CollectedArtifact[] = [];
    for (const ref of refs) {
      const digest = ref.split('/').pop()!;
      let content: CollectedArtifact['content'];
      try {
        const bytes =
          (await getRawPayload(store, ref)) ?? (legacyRawDir ? await readFile(join(legacyRawDir, `${ref.slice('raw/'.length)}.json`)).catch(() => undefined) : undefined);
        content = bytes ? { bytes } : { json: { rawRef: ref, found: false } };
      } catch (err) {
        // A payload that does not decrypt stays so: that fact is the evidence, retrying changes nothing.
        if (!(err instanceof UnreadableEvidenceError)) throw err;
        content = { json: { rawRef: ref, found: true, readable: false, reason: err.reason } };
      }
      artifacts.push({ name: `raw-alert-${digest.slice(0, 16)}`, collector: 'raw-alert', source: ref, collectedAt: at(), content });
    }
    return artifacts;
  }

  async function awsState(state: IncidentState, at: () => string): Promise<CollectedArtifact[]> {
    const artifacts: CollectedArtifact[] = [];
    const principals = new Set(state.alerts.map((a) => a.subject.principal).filter((p): p is string => !!p));
    const keys = new Set(state.alerts.map((a) => a.subject.kmsKeyId).filter((k): k is string => !!k));
    for (const principal of principals) {
      const userName = principal.split('/').pop()!;
      artifacts.push({ name: `aws-iam-user-${nameDigest(userName)}`, collector: 'aws.iam', source: `iam:user/${userName}`, collectedAt: at(), content: { json: await iamUserState(aws.iam, userName) } });
      if (cloudTrail) {
        const until = new Date();
        const since = new Date(until.getTime() - cloudTrailLookbackHours * 3_600_000);
        const events = await cloudTrailEvents(cloudTrail, userName, since, until);
        artifacts.push({ name: `aws-cloudtrail-${nameDigest(userName)}`, collector: 'aws.cloudtrail', source: `cloudtrail:Username=${userName}`, collectedAt: at(), content: { json: events } });
      }
    }
    for (const keyId of keys) {
      artifacts.push({ name: `aws-kms-key-${nameDigest(keyId)}`, collector: 'aws.kms', source: `kms:${keyId}`, collectedAt: at(), content: { json: await kmsKeyState(aws.kms, keyId) } });
    }
    if (wafIpSet) {
      artifacts.push({ name: `aws-waf-ipset-${safe(wafIpSet.name)}`, collector: 'aws.wafv2', source: `wafv2:${wafIpSet.scope}/${wafIpSet.name}/${wafIpSet.id}`, collectedAt: at(), content: { json: await wafIpSetState(aws.waf, wafIpSet) } });
    }
    return artifacts;
  }

  return {
    /**
     * Collect the incident's artifacts and write them, with their manifest, to the evidence store;
     * then record the manifest hash in the audit log, which anchors it for `evidence verify`.
     */
    async snapshotEvidence(request: SnapshotRequest): Promise<SnapshotResult> {
      const at = () => new Date().toISOString();
      const { state, timeline } = await readIncident(request.incidentId);
      const approvals = state.steps.flatMap((s) => s.approvals.map((a) => ({ step: s.id, ...a })));
      const artifacts: CollectedArtifact[] = [
        { name: 'incident-state', collector: 'incident.state', source: request.incidentId, collectedAt: at(), content: { json: state } },
        { name: 'incident-timeline', collector: 'incident.timeline', source: request.incidentId, collectedAt: at(), content: { json: timeline } },
        { name: 'approvals', collector: 'incident.approvals', source: request.incidentId, collectedAt: at(), content: { json: approvals } },
        ...(await rawPayloads(state, at)),
        ...(await awsState(state, at)),
      ];
      const written = await writeSnapshot(store, {
        incidentId: request.incidentId,
        snapshotId: request.snapshotId,
        createdAt: at(),
        artifacts,
        custody: {
          collectedBy: `tourniquet worker ${process.pid}`,
          host: hostname(),
          at: at(),
          why: { incident: request.incidentId, step: request.stepId, ...(request.label ? { label: request.label } : {}) },
          workflow: { id: request.workflowId, runId: request.runId },
          store: store.location,
        },
      });
      await deps.audit.append({
        id: `evidence/${request.incidentId}/${request.snapshotId}`,
        who: 'worker',
        what: SNAPSHOT_EVENT,
        when: at(),
        where: `${hostname()}:${process.pid}`,
        why: { incident: request.incidentId, step: request.stepId, ...(request.label ? { reason: request.label } : {}) },
        correlationId: request.incidentId,
        details: { snapshotId: request.snapshotId, manifestHash: written.manifestHash, merkleRoot: written.manifest.merkleRoot, artifacts: written.manifest.artifacts.length },
      });
      return {
        snapshotId: request.snapshotId,
        manifestKey: written.manifestKey,
        manifestHash: written.manifestHash,
        merkleRoot: written.manifest.merkleRoot,
        artifacts: written.manifest.artifacts.length,
        store: store.location,
      };
    },
  };
}

/**
 * Artifact names become object keys (file names): a subject from an alert (a user named by an
 * e-mail address, say) enters them only as a digest. The manifest's `source` says which it was.
 */
function nameDigest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

function safe(name: string): string {
  return name.replace(/[^\w.-]/g, '_').slice(0, 80);
}
