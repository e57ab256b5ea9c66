/**
 * After the incident: on Temporal's time-skipping test server, resolving an incident opens its
 * post-incident review, due by severity and pre-filled from the incident; a finding becomes a
 * follow-up action whose owner is reminded, which escalates every day once overdue, and which
 * closes only with evidence; the finalised review is stored as evidence in the incident's manifest
 * chain and exported as Markdown. Refusals first: bad input and forged decisions change nothing.
 */
import { createHash } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import type { AuditEvent } from '../../activities/audit-sink';
import { verifyIncidentEvidence } from '../../activities/evidence';
import type { Action } from '../../domain/authority';
import { DAY_MS } from '../../domain/due-schedule';
import { dueInstant } from '../../domain/follow-up';
import { followUpId, reviewId } from '../../domain/ids';
import type { ReviewView } from '../../domain/review';
import { deliverAlert } from '../../ingress/incidents';
import type { ActivityDeps } from '../../activities';
import type { Config } from '../../platform/config';
import { resolveUpdate, stateQuery } from '../../workflows/definitions';
import { closeFollowUpUpdate, followUpQuery, reassignFollowUpUpdate } from '../../workflows/follow-up-definitions';
import { addFindingUpdate, editReviewUpdate, finaliseReviewUpdate, reviewQuery } from '../../workflows/review-definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { lifecycleRunbooks, waitFor } from '../support/runbooks';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig, testEvidence } from '../support/temporal';
import { testGrants, type GrantOptions, TEST_SIGNING_KEY } from '../support/decisions';
import { updateRefusal } from '../support/refusals';

jest.setTimeout(180_000);

const grants = testGrants({ 'security-oncall': ['U-oncall'], 'security-leads': ['U-lead'] });
let env: TestWorkflowEnvironment;
/** Time is skipped: a grant is issued at the test server's time, as the ingress's would be. */
const proveNow = async (by: string, action: Action, workflowId: string, options: GrantOptions = {}) =>
  grants(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

let config: Config;
let stopWorker: () => Promise<void>;
let target: Awaited<ReturnType<typeof httpTarget>>;
let evidence: ActivityDeps['evidence'];
const posts: { incidentId: string; text: string }[] = [];
const escalations: Escalation[] = [];
const audit = memoryAudit();

const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
  post: async (incidentId, text) => void posts.push({ incidentId, text }),
};

beforeAll(async () => {
  target = await httpTarget(() => 200);
  const runbooksDir = lifecycleRunbooks(target.url);
  config = testConfig({ runbooksDir, temporal: { taskQueue: 'reviews' } });
  env = await startTimeSkippingServer(config);
  evidence = testEvidence();
  const deps = testActivityDeps({
    runbooksDir,
    notifier,
    audit,
    evidence,
    followUps: { reminderDays: [7, 1], escalationGroup: 'eng-managers' },
    reviews: { dueDays: { critical: 5, high: 10, medium: 20, low: 30, info: 30 }, reminderDays: [2], escalationGroup: 'security-leads' },
  });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

async function advanceTo(target: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}


const eventsOf = (what: string, correlationId: string): AuditEvent[] => audit.events.filter((e) => e.what === what && e.correlationId === correlationId);

/** A critical incident, contained by its runbook and resolved by the on-call. */
async function resolvedIncident(kind: string): Promise<{ incidentId: string; resolvedAt: string }> {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind, severity: 'critical', title: 'export by patient jane-doe-1970' }));
  const handle = env.client.workflow.getHandle(incidentId);
  await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained');
  const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U-oncall', 'resolve', incidentId), reason: 'key rotated, export stopped' }] });
  await handle.result();
  return { incidentId, resolvedAt: resolved.resolvedAt! };
}

test('a resolved incident opens its review, due by severity, pre-filled as people may see it; bad edits change nothing', async () => {
  const { incidentId, resolvedAt } = await resolvedIncident('OkReviewed');
  const id = reviewId(incidentId);
  const review = env.client.workflow.getHandle(id);
  const opened = await waitFor(() => review.query(reviewQuery), (v) => v.status === 'open');

  expect(opened.owner).toBe('U-oncall');
  expect(opened.dueAt).toBe(new Date(Date.parse(resolvedAt) + 5 * DAY_MS).toISOString()); // critical: 5 days
  const p = opened.prefill!;
  expect(p.severity).toBe('critical');
  expect(p.runbook).toBe('notify-ok');
  expect(p.steps.map((s) => [s.id, s.status])).toEqual([['call-soar', 'succeeded']]);
  expect(p.resolvedBy).toBe('U-oncall');
  expect(p.durations.resolveMinutes).toBeGreaterThanOrEqual(0);
  expect(p.durations.containMinutes).toBeDefined();
  expect(p.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['incident.opened', 'incident.status']));
  expect(p.clock).toBeUndefined();
  // The alert's free text (a patient's name in the title) is withheld from the review.
  expect(JSON.stringify(opened)).not.toContain('jane-doe');
  const incidentTimeline = (await env.client.workflow.getHandle(incidentId).query(stateQuery)).status;
  expect(incidentTimeline).toBe('resolved');

  // Refusals: nothing to edit, a finding for nobody, a finalise without root cause, a forged grant.
  expect(await updateRefusal(review.executeUpdate(editReviewUpdate, { args: [{ proof: await proveNow('U-oncall', 'review.edit', id) }] }))).toMatch(/names rootCause/);
  expect(
    await updateRefusal(review.executeUpdate(addFindingUpdate, { args: [{ proof: await proveNow('U-oncall', 'review.finding', id), text: 'alert sooner', owner: 'not a person!', dueAt: '2099-01-01' }] })),
  ).toMatch(/owner must be a person id/);
  expect(await updateRefusal(review.executeUpdate(addFindingUpdate, { args: [{ proof: await proveNow('U-oncall', 'review.finding', id), text: 'x', owner: 'U-alice', dueAt: 'next week' }] }))).toMatch(/ISO date/);
  expect(await updateRefusal(review.executeUpdate(finaliseReviewUpdate, { args: [{ proof: await proveNow('U-lead', 'review.finalise', id) }] }))).toMatch(/root cause/);
  const forged = grants('U-lead', 'review.edit', id, { at: new Date(await env.currentTimeMs()), key: { kid: TEST_SIGNING_KEY.kid, secretKey: 'b2'.repeat(32) } });
  expect(await updateRefusal(review.executeUpdate(editReviewUpdate, { args: [{ proof: forged, rootCause: 'forged' }] }))).toMatch(/signature|verify/i);
  const after = await review.query(reviewQuery);
  expect([after.rootCause, after.findings, after.final]).toEqual(['', [], undefined]);
  expect(after.changes.map((c) => c.what)).toEqual(['review.opened']);
});

test('a finding becomes a follow-up: reminded 7 and 1 days before, escalated daily once overdue, closed only with evidence; the review is finalised as evidence', async () => {
  const { incidentId, resolvedAt } = await resolvedIncident('OkFollowedUp');
  const id = reviewId(incidentId);
  const review = env.client.workflow.getHandle(id);
  await waitFor(() => review.query(reviewQuery), (v) => v.status === 'open');

  const dueAt = new Date(Date.parse(resolvedAt) + 10 * DAY_MS).toISOString().slice(0, 10);
  let view: ReviewView = await review.executeUpdate(addFindingUpdate, {
    args: [{ proof: await proveNow('U-oncall', 'review.finding', id), text: 'Page on PHI exports over 1000 rows', owner: 'U-alice', dueAt }],
  });
  const fid = followUpId(id, 'f1');
  expect(view.findings.map((f) => [f.key, f.followUpId, f.owner, f.dueAt, f.by])).toEqual([['f1', fid, 'U-alice', dueAt, 'U-oncall']]);
  const followUp = env.client.workflow.getHandle(fid);
  // Until its first task has run, the new workflow answers no query.
  const fu = (await waitFor(() => followUp.query(followUpQuery).catch(() => undefined), (v) => v?.status === 'open'))!;
  expect([fu.status, fu.owner, fu.incidentId, fu.origin]).toEqual(['open', 'U-alice', incidentId, id]);

  // Handing it over is audited with who and why.
  expect(await updateRefusal(followUp.executeUpdate(reassignFollowUpUpdate, { args: [{ proof: await proveNow('U-oncall', 'follow-up.update', fid), owner: 'U-bob', reason: '' }] }))).toMatch(/reason/);
  await followUp.executeUpdate(reassignFollowUpUpdate, { args: [{ proof: await proveNow('U-oncall', 'follow-up.update', fid), owner: 'U-bob', reason: 'Alice is on leave' }] });

  // Days pass: reminders at 7 and 1 days before the end of the due day, then one escalation a day.
  const due = dueInstant(dueAt);
  await advanceTo(due - 6 * DAY_MS);
  expect(eventsOf('follow-up.reminder', fid).map((e) => [e.when, e.details!.days, e.details!.owner])).toEqual([[new Date(due - 7 * DAY_MS).toISOString(), 7, 'U-bob']]);
  await advanceTo(due + 2 * DAY_MS + 3_600_000);
  expect(eventsOf('follow-up.reminder', fid).map((e) => e.details!.days)).toEqual([7, 1]);
  expect(eventsOf('follow-up.overdue', fid).map((e) => [e.when, e.details!.days])).toEqual([0, 1, 2].map((k) => [new Date(due + k * DAY_MS).toISOString(), k]));
  const mine = escalations.filter((e) => e.message.includes(fid));
  expect(mine.map((e) => e.group)).toEqual(['eng-managers', 'eng-managers', 'eng-managers']);
  expect(mine[2]!.message).toMatch(/OVERDUE by 2 days/);
  // Chat is told the id, owner and date, never the finding's free text.
  expect([...posts, ...escalations].map((m) => ('text' in m ? m.text : m.message)).join('\n')).not.toContain('PHI exports over');
  expect((await followUp.query(followUpQuery)).status).toBe('overdue');

  // The review itself was due after 5 days: reminded 2 days before, then escalated to the leads daily.
  expect(eventsOf('review.reminder', id).map((e) => e.details!.days)).toEqual([2]);
  const reviewDue = Date.parse(resolvedAt) + 5 * DAY_MS;
  expect(eventsOf('review.overdue', id).map((e) => e.when)).toEqual(
    Array.from({ length: Math.floor(((await env.currentTimeMs()) - reviewDue) / DAY_MS) + 1 }, (_, k) => new Date(reviewDue + k * DAY_MS).toISOString()),
  );
  expect(escalations.filter((e) => e.message.includes(`Review ${id}`)).every((e) => e.group === 'security-leads')).toBe(true);
  expect((await review.query(reviewQuery)).status).toBe('overdue');

  // Closure needs evidence and a note; then the follow-up ends, its closure kept.
  expect(await updateRefusal(followUp.executeUpdate(closeFollowUpUpdate, { args: [{ proof: await proveNow('U-bob', 'follow-up.close', fid), evidence: ' ', note: 'done' }] }))).toMatch(/evidence/);
  expect(await updateRefusal(followUp.executeUpdate(closeFollowUpUpdate, { args: [{ proof: await proveNow('U-bob', 'follow-up.close', fid), evidence: 'PR #482', note: '' }] }))).toMatch(/note/);
  await followUp.executeUpdate(closeFollowUpUpdate, { args: [{ proof: await proveNow('U-bob', 'follow-up.close', fid), evidence: 'https://git.example/pr/482', note: 'export alert pages on-call' }] });
  const closed = await followUp.result();
  expect(closed.status).toBe('closed');
  expect(closed.closure).toMatchObject({ by: 'U-bob', evidence: 'https://git.example/pr/482', note: 'export alert pages on-call' });
  expect(closed.changes.map((c: { what: string; by: string }) => [c.what, c.by])).toEqual([
    ['follow-up.opened', 'U-oncall'],
    ['follow-up.reassigned', 'U-oncall'],
    ['follow-up.closed', 'U-bob'],
  ]);
  expect(eventsOf('follow-up.closed', fid)[0]!.why.reason).toBe('export alert pages on-call');
  const escalatedBefore = eventsOf('follow-up.overdue', fid).length;
  await advanceTo((await env.currentTimeMs()) + 3 * DAY_MS);
  expect(eventsOf('follow-up.overdue', fid).length).toBe(escalatedBefore);

  // The review: written, finalised by a lead, stored as evidence, chained and anchored.
  await review.executeUpdate(editReviewUpdate, {
    args: [{ proof: await proveNow('U-oncall', 'review.edit', id), rootCause: 'A long-lived export key with no row limit', helped: 'Key rotation runbook', hurt: 'No paging on exports' }],
  });
  view = await review.executeUpdate(finaliseReviewUpdate, { args: [{ proof: await proveNow('U-lead', 'review.finalise', id) }] });
  const final = view.final!;
  expect(final.by).toBe('U-lead');
  expect(final.sha256).toBe(createHash('sha256').update(final.markdown).digest('hex'));
  expect(final.markdown).toContain('## Root cause\n\nA long-lived export key with no row limit');
  expect(final.markdown).toContain(`| \`${fid}\` | Page on PHI exports over 1000 rows | U-alice | ${dueAt} |`);
  expect(final.markdown).toMatch(/\| Contain \| opened \| \d{4}-/);
  expect(final.markdown).not.toContain('jane-doe');
  const result = await review.result();
  expect(result.status).toBe('final');
  // A finalised review is closed: nothing more is written to it.
  await expect(review.executeUpdate(editReviewUpdate, { args: [{ proof: await proveNow('U-oncall', 'review.edit', id), hurt: 'more' }] })).rejects.toThrow();

  const stored = await evidence.store.get(`${final.manifestKey.slice(0, -'manifest.json'.length)}artifacts/post-incident-review.md.${final.sha256}`);
  expect(Buffer.from(stored!).toString('utf8')).toBe(final.markdown);
  const anchors = new Map(eventsOf('evidence.snapshot', incidentId).map((e) => [e.details!.snapshotId as string, e.details!.manifestHash as string]));
  expect(anchors.get(final.snapshotId)).toBe(final.manifestHash);
  const check = await verifyIncidentEvidence(evidence.store, incidentId, anchors);
  expect(check.status).toBe('intact');
  expect(check.snapshots.map((s) => s.snapshotId)).toContain(final.snapshotId);
});
