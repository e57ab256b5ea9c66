/**
 * A worker killed (SIGKILL) at the moment a grant expires, while its RemoveUserFromGroup is in
 * flight: the revocation is retried on a second worker once the first one's heartbeats stop, and
 * the access is removed once, with one revocation on the record. Real processes (the worker as
 * `npm start` wires it), a real Temporal dev server, moto behind a proxy that holds the first call.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateGroupCommand, CreateUserCommand, GetGroupCommand } from '@aws-sdk/client-iam';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createAwsClients } from '../../activities/aws';
import { accessPlan, type AccessGrant } from '../../domain/access';
import { accessGrantId } from '../../domain/ids';
import { accessStatusQuery, decideAccessUpdate, type AccessRequestInput } from '../../workflows/access/definitions';
import { accessGrantWorkflow } from '../../workflows/access/grant';
import { eventually } from '../support/aws-playbooks';
import { testGrants } from '../support/decisions';
import { awsThrough, spawnWorker, workerProcessEnv } from '../support/lost-worker';
import { startMoto, type Moto } from '../support/moto';
import { stallingProxy, type StallingProxy } from '../support/stalling-proxy';
import { startDevServer, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const GROUPS = { 'security-oncall': ['req'], 'security-leads': ['lead'] };
const grants = testGrants(GROUPS);

let moto: Moto;
let proxy: StallingProxy;
let server: TestWorkflowEnvironment;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.teardown();
  await proxy?.close();
  await moto?.stop();
});

test('killed at the expiry moment, mid-revocation: the next worker revokes, once', async () => {
  moto = await startMoto();
  proxy = await stallingProxy(moto.endpoint, (body) => body.includes('Action=RemoveUserFromGroup'));
  const config = testConfig({ aws: { region: moto.region, endpoint: proxy.url }, temporal: { taskQueue: `bg-lost-${process.pid}-${Date.now()}` } });
  server = await startDevServer(config);
  const admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
  await admin.iam.send(new CreateUserCommand({ UserName: 'req' }));
  await admin.iam.send(new CreateGroupCommand({ GroupName: 'breakglass-logs' }));
  const members = async () => ((await admin.iam.send(new GetGroupCommand({ GroupName: 'breakglass-logs' }))).Users ?? []).map((u) => u.UserName);

  // The worker's own settings: who is who (the holder check), as a deployment's file says it.
  const file = join(config.dataDir, 'tourniquet.yaml');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ people: { req: {}, lead: {} }, approverGroups: GROUPS }));
  const workerEnv = workerProcessEnv(server, config, { TOURNIQUET_CONFIG: file, ...awsThrough(proxy.url, moto.region) });
  const first = await spawnWorker(workerEnv);
  children.push(first.child);

  const grant: AccessGrant = { type: 'iamGroup', group: 'breakglass-logs', userName: 'req' };
  const requestId = 'logs-lost-worker';
  const workflowId = accessGrantId(requestId);
  const plan = accessPlan({ requestId, grant, person: 'req', duration: '5s' });
  const input: AccessRequestInput = {
    requestId,
    profile: 'logs',
    grant,
    requester: 'req',
    duration: '5s',
    maxDuration: '1h',
    reason: 'reading logs',
    approverGroup: 'security-leads',
    approvers: 1,
    checkEvery: '1m',
    approvalTimeout: '5m',
    proof: grants('req', 'access.request', workflowId, { subject: { planHash: plan.hash } }),
  };
  const handle = await server.client.workflow.start(accessGrantWorkflow, { taskQueue: config.temporal.taskQueue, workflowId, args: [input] });
  await eventually(() => handle.query(accessStatusQuery), (v) => v.changes.some((c) => c.what === 'access.requested'), 'asked');
  const decision = { planHash: plan.hash, decision: 'approve' as const };
  await handle.executeUpdate(decideAccessUpdate, { args: [{ proof: grants('lead', 'access.approve', workflowId, { subject: decision }), ...decision, justification: 'needed' }] });
  await eventually(() => handle.query(accessStatusQuery), (v) => v.status === 'active', 'granted');
  expect(await members()).toEqual(['req']);

  // Expiry: the revocation's call is held; the worker dies with it in flight.
  await proxy.stalled;
  const exited = new Promise((r) => first.child.once('exit', r));
  first.child.kill('SIGKILL');
  await exited;
  // Not removed yet: the call never reached AWS.
  expect(await members()).toEqual(['req']);

  const second = await spawnWorker(workerEnv);
  children.push(second.child);
  const done = await handle.result();
  expect(done).toMatchObject({ status: 'revoked', end: { why: 'expired' } });
  expect(await members()).toEqual([]);
  expect(proxy.arrivals).toHaveLength(2);
  expect(done.changes.filter((c) => c.what === 'access.revoked')).toHaveLength(1);
  expect(done.ledger.filter((id) => id.includes('iam:RemoveUserFromGroup'))).toHaveLength(1);

  const { events } = await handle.fetchHistory();
  const { EventType } = temporal.api.enums.v1;
  const revokes = (events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'revokeAccess');
  expect(revokes).toHaveLength(1);
  const started = (events ?? []).find((e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(revokes[0]!.eventId));
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
});
