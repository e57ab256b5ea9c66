import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { WorkflowNotFoundError } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WITHHOLD_FREE_TEXT, type DisplayPolicy } from '../domain/display';
import { breachClockId } from '../domain/ids';
import type { ReviewClock } from '../domain/review';
import type { ReviewsConfig } from '../platform/follow-ups-config';
import { clockQuery, type ClockView } from '../workflows/breach-clock-definitions';
import type { ReviewSettings } from '../workflows/review-definitions';
import type { AuditSink } from './audit-sink';
import { classify } from './errors';
import { SNAPSHOT_EVENT } from './evidence/anchors';
import { writeSnapshot } from './evidence/snapshot';
import type { EvidenceActivityDeps } from './evidence/activities';

export interface ReviewActivityDeps extends EvidenceActivityDeps {
  audit: AuditSink;
  reviews: ReviewsConfig;
  display?: DisplayPolicy;
}

export interface StoreReviewRequest {
  reviewId: string;
  incidentId: string;
  markdown: string;
  at: string;
  by: string;
}

export interface StoredReview {
  sha256: string;
  snapshotId: string;
  manifestKey: string;
  manifestHash: string;
}

export function createReviewActivities(deps: ReviewActivityDeps) {
  const policy = deps.display ?? WITHHOLD_FREE_TEXT;
  return {
    async reviewSettings(): Promise<ReviewSettings> {
      const { dueDays, reminderDays, escalationGroup } = deps.reviews;
      return { dueDays, reminderDays, display: policy, ...(escalationGroup ? { escalationGroup } : {}) };
    },

    /** The incident's breach clock as the review shows it; undefined when it has none. */
    async reviewClock(incidentId: string): Promise<ReviewClock | undefined> {
      let clock: ClockView;
      try {
        clock = await Context.current().client.workflow.getHandle(breachClockId(incidentId)).query(clockQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        classify(err, `query the breach clock of ${incidentId}`);
      }
      return { id: clock.id, status: clock.status, discoveryDate: clock.discoveryDate, obligations: clock.obligations.map((o) => ({ id: o.id, deadline: o.deadline, status: o.status })) };
    },

    /**
     * The final text as evidence: one artifact in a snapshot of its own, chained to the incident's
     * earlier snapshots, its manifest hash on the audit log (so `evidence verify` checks it). A
     * retry finds the snapshot it wrote.
     */
    async storeReviewEvidence(request: StoreReviewRequest): Promise<StoredReview> {
      const { store } = deps.evidence;
      const body = Buffer.from(request.markdown, 'utf8');
      const sha256 = createHash('sha256').update(body).digest('hex');
      const snapshotId = `review-${sha256.slice(0, 16)}`;
      const info = Context.current().info;
      const written = await writeSnapshot(store, {
        incidentId: request.incidentId,
        snapshotId,
        createdAt: request.at,
        artifacts: [{ name: 'post-incident-review.md', collector: 'review.final', source: request.reviewId, collectedAt: request.at, content: { bytes: body } }],
        custody: {
          collectedBy: `tourniquet worker ${process.pid}`,
          host: hostname(),
          at: request.at,
          why: { incident: request.incidentId, step: 'review', label: `finalised by ${request.by}` },
          workflow: { id: info.workflowExecution?.workflowId ?? request.reviewId, runId: info.workflowExecution?.runId ?? '' },
          store: store.location,
        },
      });
      await deps.audit.append({
        id: `evidence/${request.incidentId}/${snapshotId}`,
        who: request.by,
        what: SNAPSHOT_EVENT,
        when: request.at,
        where: `${hostname()}:${process.pid}`,
        why: { incident: request.incidentId, step: 'review', reason: 'post-incident review finalised' },
        correlationId: request.incidentId,
        details: { snapshotId, manifestHash: written.manifestHash, merkleRoot: written.manifest.merkleRoot, artifacts: 1, sha256 },
      });
      return { sha256, snapshotId, manifestKey: written.manifestKey, manifestHash: written.manifestHash };
    },
  };
}
