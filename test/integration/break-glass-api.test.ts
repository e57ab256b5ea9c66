/**
 * Break-glass access through the real operator API (HTTP, API tokens, the ingress's own decision
 * key), the CLI, a real Temporal dev server and worker, and moto's IAM. Refusals first, each a
 * clear status with nothing started or granted: a duration over the profile's maximum, a profile
 * that needs an open incident, an approver outside the group, the requester approving their own
 * request. Then an approved grant listed with its time left, and the reconciliation Schedule
 * removing access someone gave by hand.
 */
import { AddUserToGroupCommand, CreateGroupCommand, CreateUserCommand, GetGroupCommand } from '@aws-sdk/client-iam';
import type { AccessHolders } from '../../activities/access';
import { ACCESS_RECONCILIATION_SCHEDULE } from '../../domain/ids';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import type { Config } from '../../platform/config';
import { createDataConverter } from '../../platform/data-converter';
import { ensureAccessReconciliation } from '../../worker/access-schedule';
import { ACCESS_GRANT_WORKFLOW, type AccessGrantView } from '../../workflows/access/definitions';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { runCli } from '../support/cli';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { memoryAudit, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const TOKENS = { req: newApiToken(), ana: newApiToken(), lead: newApiToken() };
const GROUPS = { 'security-oncall': ['req', 'ana'], 'security-leads': ['lead'] };
const SETTINGS = {
  people: Object.fromEntries(Object.entries(TOKENS).map(([p, t]) => [p, { tokenHashes: [apiTokenHash(t)] }])),
  approverGroups: GROUPS,
  access: {
    profiles: {
      'phi-logs-read': { target: { type: 'iamGroup', group: 'breakglass-logs' }, maxDuration: '1h', approverGroup: 'security-leads', needsOpenIncident: false },
      'incident-admin': { target: { type: 'iamGroup', group: 'breakglass-logs' }, maxDuration: '1h', approverGroup: 'security-leads' },
    },
    principals: { req: { iamUser: 'req' } },
    reconcileEvery: '1h',
  },
};

let stack: PlaybookStack;
let ingressConfig: Config;
let ingress: RunningServer;
const ingressAudit = memoryAudit();
const workerAudit = memoryAudit();

beforeAll(async () => {
  const base = testConfig(SETTINGS);
  // The codec key folder first (0700), as the dev server would make it, then the ingress's decision key beside it.
  createDataConverter(base);
  const holders: AccessHolders = { known: (p) => p in TOKENS, groupsOf: (p) => Object.keys(GROUPS).filter((g) => GROUPS[g as keyof typeof GROUPS].includes(p)), requestGroups: ['security-oncall', 'security-leads'] };
  stack = await playbookStack({}, { audit: workerAudit, access: base.access, accessHolders: holders, decisionKeys: stackDecisionKeys(base) });
  ingressConfig = { ...base, aws: stack.config.aws, dataDir: base.dataDir };
  ({ server: ingress } = await startIngress(stack.env, ingressConfig, ingressAudit));
  // The CLI (a process of its own) reaches this ingress with the requester's token.
  process.env.TOURNIQUET_URL = ingress.url;
  process.env.TOURNIQUET_TOKEN = TOKENS.req;
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'req' }));
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'mallory' }));
  await stack.admin.iam.send(new CreateGroupCommand({ GroupName: 'breakglass-logs' }));
});
afterAll(async () => {
  await ingress?.close();
  await stack?.teardown();
});

async function api(as: keyof typeof TOKENS, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${ingress.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKENS[as]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const members = async () => ((await stack.admin.iam.send(new GetGroupCommand({ GroupName: 'breakglass-logs' }))).Users ?? []).map((u) => u.UserName).sort();
async function grantsStarted(): Promise<number> {
  let count = 0;
  for await (const _ of stack.env.client.workflow.list({ query: `WorkflowType = '${ACCESS_GRANT_WORKFLOW}'` })) count++;
  return count;
}

test('refused before anything starts: over the maximum, no open incident, a profile that does not exist', async () => {
  const long = await api('req', 'POST', '/access', { profile: 'phi-logs-read', duration: '2h', reason: 'reading logs' });
  expect(long).toEqual({ status: 400, json: { error: 'refused', message: '2h is longer than profile phi-logs-read allows (at most 1h)' } });
  const noIncident = await api('req', 'POST', '/access', { profile: 'incident-admin', duration: '30m', reason: 'fixing' });
  expect(noIncident.json.message).toBe('profile incident-admin is granted only for an open incident: name one');
  const closed = await api('req', 'POST', '/access', { profile: 'incident-admin', duration: '30m', reason: 'fixing', incident: 'no-such-incident' });
  expect(closed.json.message).toBe('incident/no-such-incident is not open');
  expect((await api('req', 'POST', '/access', { profile: 'nope', duration: '30m', reason: 'x' })).json.message).toBe('no access profile nope');
  expect(await grantsStarted()).toBe(0);
  expect(await members()).toEqual([]);
});

test('an approver outside the group and the requester are refused (403, audited); the approved grant is listed with its time left and revoked', async () => {
  const asked = await api('req', 'POST', '/access', { profile: 'phi-logs-read', duration: '1h', reason: 'reading the export logs' });
  expect(asked.status).toBe(201);
  const id = String(asked.json.requestId);
  const view = await eventually(async () => (await api('req', 'GET', `/access/${id}`)).json as unknown as AccessGrantView, (v) => v.changes.some((c) => c.what === 'access.requested'), 'asked');
  const plan = view.pending!.planHash;

  const outsider = await api('ana', 'POST', `/access/${id}/approve`, { planHash: plan, justification: 'looks fine' });
  expect(outsider).toEqual({ status: 403, json: { error: 'forbidden', message: 'ana is not in the approver group security-leads' } });
  const self = await api('req', 'POST', `/access/${id}/approve`, { planHash: plan, justification: 'mine' });
  expect(self.status).toBe(403);
  expect(ingressAudit.events.filter((e) => e.what === 'authz.denied' && e.correlationId === `access/${id}`).map((e) => e.who)).toEqual(['ana', 'req']);
  expect(await members()).toEqual([]);

  const approved = await api('lead', 'POST', `/access/${id}/approve`, { planHash: plan.slice(0, 16), justification: 'incident 42 needs it' });
  expect(approved.status).toBe(200);
  await eventually(async () => (await api('req', 'GET', `/access/${id}`)).json.status, (s) => s === 'active', 'granted');
  expect(await members()).toEqual(['req']);

  const listed = await runCli(stack.env, ingressConfig, 'access', 'list');
  expect(listed.code).toBe(0);
  expect(listed.out).toMatch(new RegExp(`${id}\\s+phi-logs-read → req\\s+active\\s+(1h 0m|59m) left`));

  const revoked = await api('req', 'POST', `/access/${id}/revoke`, { reason: 'done' });
  expect(revoked.status).toBe(202);
  await eventually(async () => (await api('lead', 'GET', `/access/${id}`)).json.status, (s) => s === 'revoked', 'revoked');
  expect(await members()).toEqual([]);
  expect((await runCli(stack.env, ingressConfig, 'access', 'list')).out).toContain('no break-glass access is open');
});

test('the reconciliation Schedule removes access no grant accounts for, and records it', async () => {
  await stack.admin.iam.send(new AddUserToGroupCommand({ GroupName: 'breakglass-logs', UserName: 'mallory' }));
  await ensureAccessReconciliation(stack.env.client, { ...ingressConfig, temporal: { ...ingressConfig.temporal, taskQueue: stack.config.temporal.taskQueue } });
  const schedule = stack.env.client.schedule.getHandle(ACCESS_RECONCILIATION_SCHEDULE);
  expect((await schedule.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
  await schedule.trigger();
  await eventually(members, (m) => !m.includes('mallory'), 'out-of-band member removed', 60_000);
  const removed = await eventually(async () => workerAudit.events.filter((e) => e.what === 'access.reconcile.removed'), (e) => e.length === 1, 'recorded');
  expect(removed[0]!.details).toMatchObject({ message: 'out-of-band access removed: add IAM user mallory to group breakglass-logs' });
  expect(workerAudit.events.some((e) => e.what === 'aws.write' && (e.details as { api: string }).api === 'iam:RemoveUserFromGroup' && e.why.reason?.includes('reconciliation'))).toBe(true);
  await schedule.delete();
});
