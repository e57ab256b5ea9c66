import { createAccessRuntimeActivities, type AccessActivityDeps } from './access';
import type { AuditSink } from './audit-sink';
import { createAwsActivities, type AwsActivityDeps } from './aws';
import { createClockActivities, type ClockActivityDeps } from './clock';
import { createEvidenceActivities, type EvidenceActivityDeps } from './evidence';
import { createDrillCadenceActivities, type DrillCadenceActivityDeps } from './drill-cadence';
import { createFollowUpActivities, type FollowUpActivityDeps } from './follow-up';
import { createReviewActivities, type ReviewActivityDeps } from './review';
import { heartbeating } from './heartbeat';
import { createIncidentActivities, type IncidentActivityDeps } from './incident';
import { createKeyRetirementActivities } from './key-retirement';
import type { Notifier } from './notifier';
import { createNotifyActivities, type NotifyActivityDeps } from './notify';
import { createWebhookActivities } from './webhook';
import { createPagerActivities, type PagerDutySettings } from './pager';

export interface ActivityDeps
  extends IncidentActivityDeps,
    AwsActivityDeps,
    ClockActivityDeps,
    EvidenceActivityDeps,
    NotifyActivityDeps,
    FollowUpActivityDeps,
    ReviewActivityDeps,
    Omit<DrillCadenceActivityDeps, 'drills'>,
    Partial<Omit<AccessActivityDeps, 'notifier'>> {
  notifier: Notifier;
  audit: AuditSink;
  fetch: typeof fetch;
  /** PagerDuty's Events API; without a routing key nothing pages */
  pagerDuty?: PagerDutySettings;
  /** unset: the defaults (weekly; the incidents channel) */
  drills?: DrillCadenceActivityDeps['drills'];
}

const NO_PAGER: PagerDutySettings = { url: 'https://events.pagerduty.com' };

/** Without break-glass settings: no profiles, and nobody holds access. */
const NO_ACCESS: AccessActivityDeps['access'] = { profiles: {}, principals: {}, checkEvery: '1m', approvalTimeout: '30m', reconcileEvery: '15m' };
const NO_HOLDERS: AccessActivityDeps['accessHolders'] = { known: () => false, groupsOf: () => [], requestGroups: [] };

/** Every activity the worker registers, built from injected clients and settings; each heartbeats while it runs. */
export function createActivities(deps: ActivityDeps) {
  return heartbeating({
    ...createIncidentActivities(deps),
    ...createNotifyActivities(deps),
    ...createWebhookActivities(deps),
    ...createAwsActivities(deps),
    ...createClockActivities(deps),
    ...createEvidenceActivities(deps),
    ...createKeyRetirementActivities(deps),
    ...createAccessRuntimeActivities({ access: deps.access ?? NO_ACCESS, accessHolders: deps.accessHolders ?? NO_HOLDERS, notifier: deps.notifier }),
    ...createFollowUpActivities(deps),
    ...createReviewActivities(deps),
    ...createPagerActivities({ pagerDuty: deps.pagerDuty ?? NO_PAGER, audit: deps.audit, fetch: deps.fetch }),
    ...createDrillCadenceActivities({ ...deps, drills: deps.drills ?? { checkEvery: '7d' } }),
  });
}

export type Activities = ReturnType<typeof createActivities>;

export type { AuditEvent, AuditSink } from './audit-sink';
export type { Notifier, ApprovalAsk, Escalation, TargetMiss } from './notifier';
export type { PageRequest, PageResult, PagerDutySettings } from './pager';
export { logNotifier } from './notifier';
export type { StepInput, StepOutcome, Undo } from './step';
export type { Plan, PlanInput, Planner } from '../domain/plan';
