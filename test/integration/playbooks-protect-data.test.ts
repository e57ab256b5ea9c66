/**
 * protectDataStore against moto's S3 and RDS through a real Temporal dev server: the writer of a
 * ransomware attack is denied writes and deletes on the bucket by one planned bucket-policy
 * statement (the undo removes exactly it), the object versions are counted as evidence (no key is
 * recorded), and the database named by the alert gets a manual snapshot, made once even when its
 * answer is lost while the worker restarts. Bad input changes nothing; every call is granted.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateDBInstanceCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { CreateBucketCommand, DeleteObjectCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { undoWorkflowId } from '../../workflows/playbooks/definitions';
import { protectDataStoreWorkflow } from '../../workflows/playbooks/protect-data-store';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { undoRequest } from '../support/decisions';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let loseSnapshotAnswer: (() => void) | undefined;
const WRITER = 'arn:aws:iam::123456789012:user/svc-sync';
const PATIENT_KEY = 'patients/Zelphine-Quarrington-1961-03-04.pdf';

beforeAll(async () => {
  stack = await playbookStack({}, {}, (clients) => {
    clients.rds.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (loseSnapshotAnswer && context.commandName === 'CreateDBSnapshotCommand') {
          const landed = loseSnapshotAnswer;
          loseSnapshotAnswer = undefined;
          landed();
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'lostSnapshotAnswer' },
    );
    return clients;
  });
});
afterAll(async () => stack?.teardown());

async function attackedBucket(name: string) {
  await stack.admin.s3.send(new CreateBucketCommand({ Bucket: name }));
  await stack.admin.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  await stack.admin.s3.send(new PutObjectCommand({ Bucket: name, Key: PATIENT_KEY, Body: 'original' }));
  await stack.admin.s3.send(new PutObjectCommand({ Bucket: name, Key: PATIENT_KEY, Body: 'encrypted by the attacker' }));
  await stack.admin.s3.send(new PutObjectCommand({ Bucket: name, Key: 'claims/2024.csv', Body: 'claims' }));
  await stack.admin.s3.send(new DeleteObjectCommand({ Bucket: name, Key: 'claims/2024.csv' }));
  const app = { Sid: 'AppRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/reader' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` };
  await stack.admin.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [app] }) }));
}
const sidsOf = async (bucket: string) => JSON.parse((await stack.admin.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!).Statement.map((s: { Sid: string }) => s.Sid) as string[];
const count = (call: string) => stack.calls.filter((c) => c === call).length;
const plan = (params: Record<string, unknown>, incidentId = 'incident/x') =>
  createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).protectDataStore!({ type: 'protectDataStore', incidentId, stepId: 'protect', params });
const start = (input: ReturnType<typeof stepInput>) =>
  stack.env.client.workflow.start(protectDataStoreWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${input.incidentId}/${input.stepId}`, args: [input] });
const undo = (input: ReturnType<typeof stepInput>, outcome: Awaited<ReturnType<typeof protectDataStoreWorkflow>>) =>
  stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, `${input.stepId}-${Math.random().toString(36).slice(2, 6)}`),
    args: [undoRequest('U-lead', input.incidentId, input.stepId, outcome.undo!, 'the writer was the backup job')],
  });

test('bad input fails non-retryably and changes nothing: no store named, a writer without account, a root writer by name', async () => {
  await attackedBucket('bad-input-store');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ principalArn: WRITER }, /names no bucket and no database/],
    [{ bucket: 'bad-input-store', principal: 'svc-sync', principalType: 'iam-user' }, /the writer is not known/],
    [{ bucket: 'bad-input-store', principal: 'Root', principalType: 'root', accountId: '123456789012' }, /a root writer cannot be named/],
  ];
  for (const [params, message] of cases) {
    const failed = await (await start(stepInput('protect', params, `incident/bad-${Math.random().toString(36).slice(2, 8)}`))).result().catch((e) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect((failed as WorkflowFailedError).cause?.cause).toMatchObject({ nonRetryable: true, message: expect.stringMatching(message) });
  }
  expect(await sidsOf('bad-input-store')).toEqual(['AppRead']);
});

test('the writer is denied writes on the bucket, the versions are counted without a key, the database is snapshotted once across a worker restart; the undo lifts only the deny', async () => {
  await attackedBucket('claims-store');
  await stack.admin.rds.send(
    new CreateDBInstanceCommand({ DBInstanceIdentifier: 'claims-db', Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'not-a-real-password-1' }),
  );
  const params = { bucket: 'claims-store', principal: 'svc-sync', principalType: 'iam-user', accountId: '123456789012', dbInstance: 'claims-db' };
  const input = stepInput('protect', params, 'incident/ransomware-claims');
  const shown = await plan(params, input.incidentId);
  expect(shown.lines[0]).toMatch(/^add to the bucket policy of S3 bucket claims-store: "TourniquetDenyWrites[0-9a-f]{12}": Deny s3:PutObject, s3:DeleteObject, s3:DeleteObjectVersion, s3:PutObjectAcl, s3:PutLifecycleConfiguration, s3:PutBucketVersioning to AWS arn:aws:iam::123456789012:user\/svc-sync \(removed by the undo\)$/);
  expect(shown.lines[1]).toMatch(/^record as evidence the object versions of claims-store: 1 current, 2 older version\(s\), 1 delete marker\(s\); listing sha256:[0-9a-f]{64}$/);
  expect(shown.lines[2]).toMatch(/^take a manual RDS instance snapshot tourniquet-claims-db-[0-9a-f]{12} of claims-db/);
  expect(JSON.stringify(shown)).not.toContain('Zelphine');

  const [puts, snapshots] = [count('s3:PutBucketPolicy'), count('rds:CreateDBSnapshot')];
  const landed = new Promise<void>((resolve) => (loseSnapshotAnswer = resolve));
  const handle = await start(input);
  await landed;
  await stack.stopWorker();
  await stack.startWorker();
  const outcome = await handle.result();
  expect(outcome.summary).toMatch(/^arn:aws:iam::123456789012:user\/svc-sync denied writes and deletes on S3 bucket claims-store; versions recorded: 1 current, 2 older, 1 delete marker\(s\), sha256:[0-9a-f]{64}; RDS instance snapshot tourniquet-claims-db-[0-9a-f]{12} of claims-db taken$/);
  expect(outcome.summary).not.toContain('Zelphine');
  expect([count('s3:PutBucketPolicy') - puts, count('rds:CreateDBSnapshot') - snapshots]).toEqual([1, 1]);
  const sids = await sidsOf('claims-store');
  expect(sids).toEqual(['AppRead', expect.stringMatching(/^TourniquetDenyWrites/)]);
  const snaps = await stack.admin.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'claims-db' }));
  expect(snaps.DBSnapshots?.filter((s) => s.SnapshotType === 'manual')).toHaveLength(1);

  expect(await undo(input, outcome)).toBe('S3 bucket claims-store: the deny on writes removed; snapshots kept');
  expect(await sidsOf('claims-store')).toEqual(['AppRead']);
  expect(await undo(input, outcome)).toBe('S3 bucket claims-store: no deny on writes was left; snapshots kept');
  expect((await stack.admin.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'claims-db' }))).DBSnapshots?.filter((s) => s.SnapshotType === 'manual')).toHaveLength(1);
});

test('a role session writing: the deny names the role, which covers every session of it', async () => {
  await attackedBucket('imaging-store');
  const shown = await plan({ bucket: 'imaging-store', principalArn: 'arn:aws:sts::123456789012:assumed-role/etl/i-0abc1234' });
  expect(shown.lines[0]).toContain('to AWS arn:aws:iam::123456789012:role/etl (removed by the undo)');
});

test('every AWS call the protection and its undo made is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['s3:ListBucketVersions', 's3:PutBucketPolicy', 'rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
