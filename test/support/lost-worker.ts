import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { temporal } from '@temporalio/proto';
import { createAwsClients } from '../../activities/aws';
import { readLedger } from '../../activities/audit/from-config';
import { stepScopedId } from '../../domain/ids';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../../workflows/activity-heartbeat';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { stepInput } from './aws-playbooks';
import { startMoto } from './moto';
import { stallingProxy } from './stalling-proxy';
import { TEST_DECISION_KEYS } from './decisions';
import { startDevServer, testConfig } from './temporal';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../../platform/config';

/**
 * The crash this guards against: a worker dies (kill -9) while an AWS call is in flight. The
 * attempt must be retried on another worker once its heartbeats stop, long before the step's own
 * timeout. One scenario, run by the test (asserting order and attempts) and the benchmark
 * (printing how long it took).
 */
const ROOT = join(__dirname, '..', '..');
const WORKER = join(__dirname, 'worker-process.ts');
export const STEP_TIMEOUT = '5m';

export interface LostWorkerRun {
  /** kill -9 of the first worker → the second worker's retry reaching AWS */
  retriedAfterMs: number;
  /** kill -9 → the playbook's result */
  completedAfterMs: number;
  heartbeatTimeoutSeconds: number;
  firstWorkerPid: number;
  secondWorkerPid: number;
  /** the stalled activity as its history tells it */
  activity: { type: string; attempt: number; identity: string; lastFailureTimeout?: string; completed: boolean };
  keyStatusAfter: string | undefined;
  summary: string;
  /** the ledger's records, as the worker processes appended them */
  ledger: { id: string; what: string; why: { incident?: string; step?: string }; details?: { api?: string; attempt?: number } }[];
  incidentId: string;
}

export async function spawnWorker(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), WORKER], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  for (let i = 0; !out.includes('worker running'); i++) {
    if (child.exitCode !== null || i > 1200) throw new Error(`worker process did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

/**
 * The environment of a worker process for `server`: its queue, the test's data dir (so it reads the
 * codec key the test's client uses) and the test decision key; `extra` adds the scenario's own.
 */
export function workerProcessEnv(server: TestWorkflowEnvironment, config: Config, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TOURNIQUET_DATA_DIR: config.dataDir,
    TOURNIQUET_DECISION_PUBLIC_KEYS: Object.entries(TEST_DECISION_KEYS).map(([kid, key]) => `${kid}:${key}`).join(','),
    ...extra,
  };
  delete env.AWS_ENDPOINT_URL;
  return env;
}

/** Against moto through `endpoint` (a stalling proxy), with the credentials moto takes. */
export const awsThrough = (endpoint: string, region: string): NodeJS.ProcessEnv => ({
  TOURNIQUET_AWS_ENDPOINT: endpoint,
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});

/** How an activity's last attempt ran, from the history: which attempt, on which worker, after what timeout. */
export function lastAttempt(events: temporal.api.history.v1.IHistoryEvent[] | null | undefined, activityType: string): LostWorkerRun['activity'] {
  const { EventType, TimeoutType } = temporal.api.enums.v1;
  const scheduled = (events ?? []).find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  if (!scheduled) throw new Error(`no ${activityType} activity in the history`);
  const sameActivity = (id: unknown) => String(id) === String(scheduled.eventId);
  const started = (events ?? []).find((e) => e.activityTaskStartedEventAttributes && sameActivity(e.activityTaskStartedEventAttributes.scheduledEventId));
  const completed = (events ?? []).some((e) => e.activityTaskCompletedEventAttributes && sameActivity(e.activityTaskCompletedEventAttributes.scheduledEventId));
  const timeoutType = started?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType;
  return {
    type: activityType,
    attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
    identity: started?.activityTaskStartedEventAttributes?.identity ?? '',
    ...(timeoutType !== undefined && timeoutType !== null ? { lastFailureTimeout: TimeoutType[timeoutType] } : {}),
    completed,
  };
}

/** kill -9 of a worker process; then a second one, as an operator's supervisor would start. */
export async function killAndReplace(first: { child: ChildProcess }, env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<Awaited<ReturnType<typeof spawnWorker>>> {
  const exited = new Promise((r) => first.child.once('exit', r));
  first.child.kill('SIGKILL');
  await exited;
  const second = await spawnWorker(env);
  children.push(second.child);
  return second;
}

function seconds(duration: string): number {
  const m = /^(\d+)s$/.exec(duration);
  if (!m) throw new Error(`expected a duration in seconds, got ${duration}`);
  return Number(m[1]);
}

/** With `answerLost`, the hanging call is made at AWS first: the worker dies after the write, before its answer. */
export async function loseWorkerMidAwsCall(opts: { answerLost?: boolean } = {}): Promise<LostWorkerRun> {
  const moto = await startMoto();
  // The call that hangs: the first deactivation of the leaked key.
  const proxy = await stallingProxy(moto.endpoint, (body) => body.includes('Action=UpdateAccessKey'), { applyThenHold: opts.answerLost });
  const config = testConfig({ aws: { region: moto.region, endpoint: proxy.url }, temporal: { taskQueue: `lost-worker-${process.pid}-${Date.now()}` } });
  const server = await startDevServer(config);
  const children: ChildProcess[] = [];
  try {
    const admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
    await admin.iam.send(new CreateUserCommand({ UserName: 'svc-lost' }));
    const keyId = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-lost' }))).AccessKey!.AccessKeyId!;

    const workerEnv = workerProcessEnv(server, config, awsThrough(proxy.url, moto.region));
    const first = await spawnWorker(workerEnv);
    children.push(first.child);

    const input = stepInput('revoke', { principal: 'svc-lost', keep: true, revokeSessions: false });
    const step: RunbookStep = { id: 'revoke', type: 'revokeCredentials', with: {}, timeout: STEP_TIMEOUT, retry: { maximumAttempts: 5, initialInterval: '1s' }, continueOnError: false };
    const handle = await server.client.workflow.start(revokeCredentialsWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: stepScopedId('playbook', input.incidentId, input.stepId),
      args: [input, step],
    });

    await proxy.stalled;
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    await exited;

    const second = await spawnWorker(workerEnv);
    children.push(second.child);
    // A retry that finds the key already inactive makes no call of its own.
    if (!opts.answerLost) await proxy.retried;
    const retriedAt = proxy.arrivals[1] ?? performance.now();
    const result = await handle.result();
    const completedAt = performance.now();

    const { events } = await handle.fetchHistory();
    const keys = await admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-lost' }));

    return {
      retriedAfterMs: retriedAt - killedAt,
      completedAfterMs: completedAt - killedAt,
      heartbeatTimeoutSeconds: seconds(String(ACTIVITY_HEARTBEAT_TIMEOUT)),
      firstWorkerPid: first.child.pid!,
      secondWorkerPid: second.child.pid!,
      activity: lastAttempt(events, 'deactivateAccessKeys'),
      keyStatusAfter: keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status,
      summary: result.summary,
      ledger: (await readLedger(config)).text.trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LostWorkerRun['ledger'][number]),
      incidentId: input.incidentId,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.teardown();
    await proxy.close();
    await moto.stop();
  }
}
