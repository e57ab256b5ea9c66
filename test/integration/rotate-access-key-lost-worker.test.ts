/**
 * A worker killed (kill -9) in the middle of a rotation: its PutSecretValue reached Secrets
 * Manager (the new key is in the staged version) and its answer never came back. The worker runs
 * as a child process against a real Temporal dev server, its AWS calls through an endpoint that
 * applies that write and holds the answer. The attempt is retried on a second worker once the
 * heartbeats stop; the retry finds the version by its id and makes no second key, and the new
 * secret key is on no ledger record.
 */
import type { ChildProcess } from 'node:child_process';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '../../activities/aws';
import { readLedger } from '../../activities/audit/from-config';
import { stepScopedId } from '../../domain/ids';
import type { RunbookStep } from '../../domain/runbook';
import { rotateAccessKeyWorkflow } from '../../workflows/playbooks/rotate-access-key';
import { stepInput } from '../support/aws-playbooks';
import { awsThrough, killAndReplace, lastAttempt, spawnWorker, workerProcessEnv } from '../support/lost-worker';
import { startMoto } from '../support/moto';
import { stallingProxy } from '../support/stalling-proxy';
import { startDevServer, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

test('the retry after a lost worker finds the staged version: one new key, the leaked key deactivated, the secret key on no record', async () => {
  const moto = await startMoto();
  const proxy = await stallingProxy(moto.endpoint, (body) => body.includes('"SecretString"'), { applyThenHold: true });
  const config = testConfig({ aws: { region: moto.region, endpoint: proxy.url }, temporal: { taskQueue: `rotate-lost-${process.pid}-${Date.now()}` } });
  const server = await startDevServer(config);
  const children: ChildProcess[] = [];
  try {
    const admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
    await admin.iam.send(new CreateUserCommand({ UserName: 'svc-lost' }));
    const old = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-lost' }))).AccessKey!;
    await admin.secretsManager.send(new CreateSecretCommand({ Name: 'svc-lost/aws', SecretString: JSON.stringify({ AWS_ACCESS_KEY_ID: old.AccessKeyId, AWS_SECRET_ACCESS_KEY: old.SecretAccessKey }) }));

    const workerEnv = workerProcessEnv(server, config, awsThrough(proxy.url, moto.region));
    const first = await spawnWorker(workerEnv);
    children.push(first.child);

    const input = stepInput('rotate', { principal: 'svc-lost', accessKeyId: old.AccessKeyId, secretId: 'svc-lost/aws', waitFor: 'grace', grace: '1s' });
    const step: RunbookStep = { id: 'rotate', type: 'rotateAccessKey', with: {}, timeout: '5m', retry: { maximumAttempts: 5, initialInterval: '1s' }, continueOnError: false };
    const handle = await server.client.workflow.start(rotateAccessKeyWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: stepScopedId('playbook', input.incidentId, input.stepId),
      args: [input, step],
    });

    await proxy.stalled;
    const second = await killAndReplace(first, workerEnv, children);
    const outcome = await handle.result();

    const value = JSON.parse((await admin.secretsManager.send(new GetSecretValueCommand({ SecretId: 'svc-lost/aws', VersionStage: 'AWSCURRENT' }))).SecretString!) as Record<string, string>;
    const keys = Object.fromEntries(((await admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-lost' }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
    expect(keys).toEqual({ [old.AccessKeyId!]: 'Inactive', [value.AWS_ACCESS_KEY_ID!]: 'Active' });
    expect(outcome.summary).toContain(`found new access key ${value.AWS_ACCESS_KEY_ID}`);
    expect(outcome.summary).toContain(`leaked access key ${old.AccessKeyId} deactivated`);

    const { events } = await handle.fetchHistory();
    expect(lastAttempt(events, 'stageNewAccessKey')).toMatchObject({ attempt: 2, identity: expect.stringMatching(new RegExp(`^${second.child.pid}@`)), lastFailureTimeout: 'TIMEOUT_TYPE_HEARTBEAT' });

    // One CreateAccessKey was ever sent: the ledger records each write request before it leaves.
    const ledger = (await readLedger(config)).text;
    const sent = ledger.trimEnd().split('\n').map((line) => JSON.parse(line) as { what: string; details?: { api?: string } }).filter((r) => r.what === 'aws.write.sent').map((r) => r.details?.api);
    expect(sent.filter((api) => api === 'iam:CreateAccessKey')).toHaveLength(1);
    expect(sent.filter((api) => api === 'secretsmanager:PutSecretValue')).toHaveLength(1);
    expect(ledger).toContain(value.AWS_ACCESS_KEY_ID);
    expect(ledger).not.toContain(value.AWS_SECRET_ACCESS_KEY);
    expect(first.output() + second.output()).not.toContain(value.AWS_SECRET_ACCESS_KEY);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.teardown();
    await proxy.close();
    await moto.stop();
  }
});
