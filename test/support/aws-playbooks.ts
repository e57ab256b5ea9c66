import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createAwsClients, type AwsClients } from '../../activities/aws';
import { iamActionOf } from '../../activities/aws/policy';
import type { Config } from '../../platform/config';
import { startMoto, type Moto } from './moto';
import { startDevServer, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from './temporal';

/** Every AWS API call the SDK clients made, as IAM action names (`iam:UpdateAccessKey`). */
export type CallLog = string[];

/** Record each call on its way out: tests count side effects and check the IAM policy covers them. */
export function recordCalls(clients: AwsClients, log: CallLog): AwsClients {
  const note = (service: string, command: string | undefined) => log.push(iamActionOf(`${service}:${(command ?? '').replace(/Command$/, '')}`));
  const options = { step: 'initialize' as const, name: 'recordCalls' };
  clients.iam.middlewareStack.add((next, context) => (args) => (note('iam', context.commandName), next(args)), options);
  clients.kms.middlewareStack.add((next, context) => (args) => (note('kms', context.commandName), next(args)), options);
  clients.waf.middlewareStack.add((next, context) => (args) => (note('wafv2', context.commandName), next(args)), options);
  clients.cloudTrail.middlewareStack.add((next, context) => (args) => (note('cloudtrail', context.commandName), next(args)), options);
  clients.s3.middlewareStack.add((next, context) => (args) => (note('s3', context.commandName), next(args)), options);
  clients.ec2.middlewareStack.add((next, context) => (args) => (note('ec2', context.commandName), next(args)), options);
  clients.rds.middlewareStack.add((next, context) => (args) => (note('rds', context.commandName), next(args)), options);
  clients.ssoAdmin.middlewareStack.add((next, context) => (args) => (note('sso', context.commandName), next(args)), options);
  clients.secretsManager.middlewareStack.add((next, context) => (args) => (note('secretsmanager', context.commandName), next(args)), options);
  clients.cognito.middlewareStack.add((next, context) => (args) => (note('cognito-idp', context.commandName), next(args)), options);
  return clients;
}

export interface PlaybookStack {
  moto: Moto;
  env: TestWorkflowEnvironment;
  config: Config;
  /** clients for arranging and reading back state (their calls are not recorded) */
  admin: AwsClients;
  /** the worker's calls */
  calls: CallLog;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * moto + a Temporal dev server (or the time-skipping test server, for days-long timers) + a worker
 * whose AWS clients point at moto. `wrap` may add middleware or swap a client (CloudTrail, which
 * moto lacks); the calls are recorded on whatever it returns.
 */
export async function playbookStack(
  awsOverrides: Partial<Config['aws']> = {},
  extraDeps: Parameters<typeof testActivityDeps>[0] = {},
  wrap: (clients: AwsClients) => AwsClients = (c) => c,
  server: 'dev' | 'time-skipping' = 'dev',
): Promise<PlaybookStack> {
  const moto = await startMoto();
  const config = testConfig({ aws: { region: moto.region, endpoint: moto.endpoint, ...awsOverrides } });
  const env = server === 'dev' ? await startDevServer(config) : await startTimeSkippingServer(config);
  const calls: CallLog = [];
  const workerClients = recordCalls(wrap(createAwsClients(config.aws)), calls);
  let stop: (() => Promise<void>) | undefined;
  const stack: PlaybookStack = {
    moto,
    env,
    config,
    admin: createAwsClients(config.aws),
    calls,
    async startWorker() {
      const activities = createActivities(testActivityDeps({ aws: workerClients, awsSettings: config.aws, ...extraDeps }));
      stop = (await startWorker(env, config, activities)).stop;
    },
    async stopWorker() {
      await stop?.();
      stop = undefined;
    },
    async teardown() {
      await stack.stopWorker();
      await env.teardown();
      await moto.stop();
    },
  };
  await stack.startWorker();
  return stack;
}

export function stepInput(stepId: string, params: Record<string, unknown>, incident = `incident/test-${Date.now().toString(36)}`) {
  return { incidentId: incident, stepId, params };
}

export async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: not reached within ${timeoutMs}ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
