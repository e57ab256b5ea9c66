/**
 * A drill's findings, on Temporal's time-skipping test server through the real operator API: an
 * outsider's finding is refused (403, audited, nothing started), a finding of something that is not
 * a drill is refused, and a responder's finding becomes a follow-up action of the one follow-up
 * workflow reviews use: its owner is reminded 7 and 1 days before, it escalates every day once
 * overdue, chat is told its id, owner and date but never its text, and it closes only with evidence.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import type { AuditEvent } from '../../activities/audit-sink';
import type { Action } from '../../domain/authority';
import { DAY_MS } from '../../domain/due-schedule';
import { drillAlert } from '../../domain/exercise';
import { dueInstant, type FollowUpView } from '../../domain/follow-up';
import { followUpOf } from '../../domain/ids';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { stateQuery } from '../../workflows/definitions';
import { closeFollowUpUpdate, followUpQuery } from '../../workflows/follow-up-definitions';
import { testGrants } from '../support/decisions';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { waitFor } from '../support/runbooks';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const TOKENS = { alice: newApiToken(), carol: newApiToken() };
const GROUPS = { 'security-oncall': ['alice'], 'security-leads': ['lee'] };
const FINDING = 'The on-call runbook link in the pager points to a retired wiki page';

let env: TestWorkflowEnvironment;
let config: Config;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
const ingressAudit = memoryAudit();
const workerAudit = memoryAudit();
const posts: { incidentId: string; text: string }[] = [];
const escalations: Escalation[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  escalate: async (e) => void escalations.push(e),
  post: async (incidentId, text) => void posts.push({ incidentId, text }),
  targetMissed: async () => undefined,
};
const grants = testGrants(GROUPS);
const proveNow = async (by: string, action: Action, workflowId: string) => grants(by, action, workflowId, { at: new Date(await env.currentTimeMs()) });

beforeAll(async () => {
  config = testConfig({
    temporal: { taskQueue: 'drill-findings' },
    people: { alice: { tokenHashes: [apiTokenHash(TOKENS.alice)] }, carol: { tokenHashes: [apiTokenHash(TOKENS.carol)] } },
    approverGroups: GROUPS,
  });
  env = await startTimeSkippingServer(config);
  const deps = testActivityDeps({ notifier, audit: workerAudit, decisionKeys: stackDecisionKeys(config), followUps: { reminderDays: [7, 1], escalationGroup: 'eng-managers' } });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
  ingress = (await startIngress(env, config, ingressAudit)).server;
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
});

async function post(path: string, token: string, body: unknown) {
  const res = await fetch(`${ingress.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
}
const findingsOf = (id: string) => `/drills/${encodeURIComponent(id)}/findings`;

async function advanceTo(target: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

const eventsOf = (what: string, correlationId: string): AuditEvent[] => workerAudit.events.filter((e) => e.what === what && e.correlationId === correlationId);

test("a drill's finding becomes a follow-up: refused for an outsider, reminded, escalated when overdue, closed only with evidence", async () => {
  const { alert, incidentId: drillId } = drillAlert({ runbook: 'triage', severity: 'high', subject: {}, startedBy: 'alice', suffix: 'findings1', at: new Date(await env.currentTimeMs()).toISOString() });
  await deliverAlert(env.client, config.temporal.taskQueue, alert, 'alice');
  await waitFor(() => env.client.workflow.getHandle(drillId).query(stateQuery), (s) => s.runbookDone === true, 'drill runbook done');
  const now = await env.currentTimeMs();
  const dueAt = new Date(now + 10 * DAY_MS).toISOString().slice(0, 10);
  const finding = { text: FINDING, owner: 'U-olga', dueAt };

  // Refusals: an outsider (audited, nothing started), a real incident, a drill that never ran, bad fields.
  const refused = await post(findingsOf(drillId), TOKENS.carol, finding);
  expect(refused.status).toBe(403);
  expect(refused.body.message).toMatch(/carol may not drill.finding: it needs a member of security-oncall or security-leads/);
  expect(ingressAudit.events).toContainEqual(expect.objectContaining({ what: 'authz.denied', who: 'carol', correlationId: drillId, details: expect.objectContaining({ action: 'drill.finding' }) }));
  const started = async () => (await env.client.workflowService.listOpenWorkflowExecutions({ namespace: env.namespace ?? 'default', maximumPageSize: 100 })).executions.map((e) => e.execution!.workflowId!);
  expect((await started()).filter((id) => id.startsWith('follow-up/'))).toEqual([]);
  expect((await post(findingsOf('incident/0123abcd'), TOKENS.alice, finding)).status).toBe(400);
  const unknown = await post(findingsOf('incident/exercise-never-ran'), TOKENS.alice, finding);
  expect([unknown.status, unknown.body.message]).toEqual([404, expect.stringMatching(/no such workflow/)]);
  expect((await post(findingsOf(drillId), TOKENS.alice, { ...finding, owner: 'not a person!' })).body.message).toMatch(/owner must be a person id/);
  expect((await post(findingsOf(drillId), TOKENS.alice, { ...finding, dueAt: 'next week' })).status).toBe(400);
  expect((await started()).filter((id) => id.startsWith('follow-up/'))).toEqual([]);

  // A responder's finding: a follow-up under the drill's id; the same finding again is the same follow-up.
  const made = await post(findingsOf(drillId), TOKENS.alice, finding);
  expect(made.status).toBe(201);
  const fid = String(made.body.followUpId);
  expect([followUpOf(fid)?.origin, made.body.owner, made.body.dueAt, made.body.created]).toEqual([drillId, 'U-olga', dueAt, true]);
  const again = await post(findingsOf(drillId.replace('incident/', '')), TOKENS.alice, finding);
  expect([again.status, again.body.followUpId, again.body.created]).toEqual([201, fid, false]);
  expect((await started()).filter((id) => id.startsWith('follow-up/'))).toEqual([fid]);

  const followUp = env.client.workflow.getHandle(fid);
  const view = (await waitFor(() => followUp.query(followUpQuery).catch(() => undefined), (v) => v?.status === 'open'))!;
  expect([view.origin, view.incidentId, view.title, view.owner, view.dueAt]).toEqual([drillId, drillId, FINDING, 'U-olga', dueAt]);
  // Audited by the follow-up itself, with who made the finding and the drill it serves.
  await waitFor(async () => eventsOf('follow-up.opened', fid), (e) => e.length === 1, 'follow-up.opened audited');
  expect(eventsOf('follow-up.opened', fid)[0]).toMatchObject({ who: 'alice', why: { incident: drillId }, details: { origin: drillId } });

  // Days pass: reminded 7 and 1 days before the end of the due day, then escalated every day.
  const due = dueInstant(dueAt);
  await advanceTo(due - 6 * DAY_MS);
  expect(eventsOf('follow-up.reminder', fid).map((e) => [e.when, e.details!.days, e.details!.owner])).toEqual([[new Date(due - 7 * DAY_MS).toISOString(), 7, 'U-olga']]);
  await advanceTo(due + 1 * DAY_MS + 3_600_000);
  expect(eventsOf('follow-up.reminder', fid).map((e) => e.details!.days)).toEqual([7, 1]);
  expect(eventsOf('follow-up.overdue', fid).map((e) => [e.when, e.details!.days])).toEqual([0, 1].map((k) => [new Date(due + k * DAY_MS).toISOString(), k]));
  expect((await followUp.query(followUpQuery)).status).toBe('overdue');

  // Chat is told of the drill's follow-up (so the Slack notifier marks it EXERCISE) by id, owner and date, never its text.
  const reminders = posts.filter((p) => p.text.includes(fid));
  expect(reminders.map((p) => p.incidentId)).toEqual([drillId, drillId]);
  expect(reminders[0]!.text).toBe(`Follow-up ${fid} (owner U-olga) is due ${dueAt}: 7 days left. npx tourniquet follow-ups close ${fid} --evidence … --note …`);
  const overdue = escalations.filter((e) => e.message.includes(fid));
  expect(overdue.map((e) => [e.incidentId, e.group])).toEqual([
    [drillId, 'eng-managers'],
    [drillId, 'eng-managers'],
  ]);
  expect(overdue[1]!.message).toMatch(/OVERDUE by 1 day: it was due/);
  expect(JSON.stringify([posts, escalations])).not.toContain('retired wiki');

  // Closure needs evidence; then the follow-up ends with its closure and every change, who and why.
  await expect(followUp.executeUpdate(closeFollowUpUpdate, { args: [{ proof: await proveNow('U-olga', 'follow-up.close', fid), evidence: ' ', note: 'fixed' }] })).rejects.toBeInstanceOf(
    WorkflowUpdateFailedError,
  );
  await followUp.executeUpdate(closeFollowUpUpdate, { args: [{ proof: await proveNow('U-olga', 'follow-up.close', fid), evidence: 'https://git.example/pr/77', note: 'pager links to the runbook' }] });
  const closed: FollowUpView = await followUp.result();
  expect(closed.status).toBe('closed');
  expect(closed.closure).toMatchObject({ by: 'U-olga', evidence: 'https://git.example/pr/77', note: 'pager links to the runbook' });
  expect(closed.changes.map((c) => [c.what, c.by])).toEqual([
    ['follow-up.opened', 'alice'],
    ['follow-up.closed', 'U-olga'],
  ]);
  expect(eventsOf('follow-up.closed', fid)[0]!.why).toMatchObject({ incident: drillId, reason: 'pager links to the runbook' });
});
