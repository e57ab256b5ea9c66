/**
 * Activities heartbeat while they run and honour cancellation, on a live worker against moto and
 * a real Temporal dev server: an AWS call slower than the heartbeat timeout still completes on its
 * first attempt, and a cancelled playbook closes its hanging AWS request instead of leaving it in
 * flight. (A worker killed mid-call: lost-worker.test.ts.)
 */
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../../activities';
import { createAwsClients, type AwsClients } from '../../activities/aws';
import type { Config } from '../../platform/config';
import type { RunbookStep } from '../../domain/runbook';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { stepInput } from '../support/aws-playbooks';
import { startMoto, type Moto } from '../support/moto';
import { stallingProxy, type StallingProxy } from '../support/stalling-proxy';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(120_000);

let moto: Moto;
let env: TestWorkflowEnvironment;
let admin: AwsClients;
let base: Config;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  moto = await startMoto();
  admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
  base = testConfig();
  env = await startDevServer(base);
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await env?.teardown();
  await moto?.stop();
});

const STEP: RunbookStep = { id: 'revoke', type: 'revokeCredentials', with: {}, timeout: '5m', retry: { maximumAttempts: 5, initialInterval: '1s' }, continueOnError: false };

/** A user with one key, and a worker whose IAM calls go through `proxy`. */
async function arrange(user: string, proxy: StallingProxy): Promise<{ config: Config; keyId: string }> {
  await admin.iam.send(new CreateUserCommand({ UserName: user }));
  const keyId = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
  // the server's data dir: the worker reads the client's codec key
  const config = testConfig({ dataDir: base.dataDir, aws: { region: moto.region, endpoint: proxy.url }, temporal: { taskQueue: `heartbeat-${user}` } });
  const activities = createActivities(testActivityDeps({ aws: createAwsClients(config.aws), awsSettings: config.aws }));
  const worker = await startWorker(env, config, activities);
  cleanups.push(worker.stop, proxy.close);
  return { config, keyId };
}

function start(config: Config, user: string) {
  const input = stepInput('revoke', { principal: user, keep: true, revokeSessions: false });
  return env.client.workflow.start(revokeCredentialsWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}/${user}`,
    args: [input, STEP],
  });
}

async function keyStatus(user: string, keyId: string): Promise<string | undefined> {
  const keys = await admin.iam.send(new ListAccessKeysCommand({ UserName: user }));
  return keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('a cancelled playbook closes its hanging AWS request; the key is left as it was', async () => {
  const proxy = await stallingProxy(moto.endpoint, (body) => body.includes('Action=UpdateAccessKey'));
  const { config, keyId } = await arrange('svc-cancelled', proxy);
  const handle = await start(config, 'svc-cancelled');
  await within(proxy.stalled, 30_000, 'UpdateAccessKey reached the endpoint');

  await handle.cancel();
  // Cancellation reaches the activity with its next heartbeat (every few seconds), and its signal
  // aborts the SDK's HTTP request: sooner than the server's 10 s heartbeat timeout could.
  await within(proxy.abandoned, 8_000, 'the worker closed the hanging request');
  await expect(handle.result()).rejects.toThrow();
  expect(proxy.arrivals).toHaveLength(1);
  expect(await keyStatus('svc-cancelled', keyId)).toBe('Active');
});

test('an AWS call slower than the heartbeat timeout completes on its first attempt', async () => {
  // 10 s heartbeat timeout; the call takes 13 s. Without heartbeats the server would time it out.
  const proxy = await stallingProxy(moto.endpoint, (body) => body.includes('Action=UpdateAccessKey'), { answerAfterMs: 13_000 });
  const { config, keyId } = await arrange('svc-slow', proxy);
  const handle = await start(config, 'svc-slow');
  const result = await handle.result();
  expect(result.summary).toContain('deactivated 1 access key(s) of svc-slow');

  const { events } = await handle.fetchHistory();
  const { EventType } = temporal.api.enums.v1;
  const scheduled = (events ?? []).find(
    (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'deactivateAccessKeys',
  )!;
  expect(String(scheduled.activityTaskScheduledEventAttributes!.heartbeatTimeout?.seconds)).toBe('10');
  const started = (events ?? []).find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId));
  expect(started!.activityTaskStartedEventAttributes!.attempt).toBe(1);
  expect(proxy.arrivals).toHaveLength(1);
  expect(await keyStatus('svc-slow', keyId)).toBe('Inactive');
});
