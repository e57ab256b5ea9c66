/**
 * No AWS credentials anywhere (no AWS_* variables, no shared config or credentials file): an AWS
 * step fails at once, as a final error saying AWS is not configured and what to set, through the
 * real SDK clients and their real credential chain. Nothing reaches the AWS endpoint, and
 * Temporal does not retry it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../../activities';
import { createAwsClients } from '../../activities/aws';
import { AWS_NOT_CONFIGURED } from '../../activities/errors';
import type { RunbookStep } from '../../domain/runbook';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { stepInput } from '../support/aws-playbooks';
import { httpTarget } from '../support/http-target';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(120_000);

const saved = { ...process.env };
let endpoint: Awaited<ReturnType<typeof httpTarget>>;

beforeAll(async () => {
  // The credential chain reads these: leave it nothing to find.
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  const empty = mkdtempSync(join(tmpdir(), 'tq-no-aws-'));
  process.env.AWS_CONFIG_FILE = join(empty, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(empty, 'credentials');
  endpoint = await httpTarget(() => 200);
});
afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await endpoint?.close();
});

function activitiesWithoutCredentials() {
  const aws = createAwsClients({ region: 'us-east-1', endpoint: endpoint.url });
  return createActivities(testActivityDeps({ aws }));
}

test('an AWS activity fails as final, saying AWS is not configured and which settings to give', async () => {
  const activities = activitiesWithoutCredentials();
  const failure = await new MockActivityEnvironment()
    .run(activities.prepareRevoke, stepInput('revoke', { principal: 'svc-export' }))
    .then(() => undefined, (err: unknown) => err);

  expect(failure).toBeInstanceOf(ApplicationFailure);
  const { nonRetryable, type, message } = failure as ApplicationFailure;
  expect({ nonRetryable, type }).toEqual({ nonRetryable: true, type: AWS_NOT_CONFIGURED });
  expect(message).toContain('iam GetUser svc-export: AWS is not configured: the standard credential chain found no usable credentials');
  for (const setting of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'aws sso login', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'instance or task role']) {
    expect(message).toContain(setting);
  }
  // Refused before signing: nothing was sent.
  expect(endpoint.requests).toHaveLength(0);
});

test('a playbook step without credentials fails after one attempt, not a retry storm', async () => {
  const config = testConfig();
  let env: TestWorkflowEnvironment | undefined;
  let stop: (() => Promise<void>) | undefined;
  try {
    env = await startDevServer(config);
    stop = (await startWorker(env, config, activitiesWithoutCredentials())).stop;
    const input = stepInput('revoke', { principal: 'svc-export' });
    const step: RunbookStep = { id: 'revoke', type: 'revokeCredentials', with: {}, timeout: '1m', retry: { maximumAttempts: 10, initialInterval: '1s' }, continueOnError: false };
    const handle = await env.client.workflow.start(revokeCredentialsWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `playbook/${input.incidentId}/${input.stepId}`,
      args: [input, step],
    });
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: AWS_NOT_CONFIGURED, nonRetryable: true });
    expect(cause.message).toContain('AWS is not configured');

    const { events } = await handle.fetchHistory();
    const started = (events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
  } finally {
    await stop?.();
    await env?.teardown();
  }
});
