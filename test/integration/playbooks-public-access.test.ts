/**
 * closePublicAccess against moto's S3 and EC2 through a real Temporal dev server: a bucket a
 * posture finding says is public gets Block Public Access fully on and loses the policy statements
 * open to everyone (the plan shows the diff, the ledger keeps the policy before, the undo puts it
 * back); a PHI service's security group loses its ingress open to the world, another's is left for
 * a person. A write whose answer is lost while the worker restarts is made once; bad input changes
 * nothing; every call is granted by the worker policy.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, PutBucketPolicyCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { undoWorkflowId } from '../../workflows/playbooks/definitions';
import { closePublicAccessWorkflow } from '../../workflows/playbooks/close-public-access';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { undoRequest } from '../support/decisions';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
/** Armed by a test: the next PutBucketPolicy reaches S3, then its answer is lost. */
let losePolicyAnswer: (() => void) | undefined;

beforeAll(async () => {
  stack = await playbookStack({}, {}, (clients) => {
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (losePolicyAnswer && context.commandName === 'PutBucketPolicyCommand') {
          const landed = losePolicyAnswer;
          losePolicyAnswer = undefined;
          landed();
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'lostPolicyAnswer' },
    );
    return clients;
  });
});
afterAll(async () => stack?.teardown());

const PUBLIC_READ = { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '' };
const APP_WRITE = { Sid: 'AppWrite', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/exporter' }, Action: 's3:PutObject', Resource: '' };
const VPC_ONLY = { Sid: 'VpcOnly', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } };

async function publicBucket(name: string, statements = [PUBLIC_READ, APP_WRITE, VPC_ONLY]) {
  await stack.admin.s3.send(new CreateBucketCommand({ Bucket: name }));
  const policy = { Version: '2012-10-17', Statement: statements.map((s) => ({ ...s, Resource: `arn:aws:s3:::${name}/*` })) };
  await stack.admin.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify(policy) }));
  return policy;
}
const policyOf = async (bucket: string) =>
  stack.admin.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })).then((o) => JSON.parse(o.Policy!) as { Statement: { Sid: string }[] }, () => null);
const blockOf = async (bucket: string) =>
  stack.admin.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })).then((o) => o.PublicAccessBlockConfiguration ?? null, () => null);

async function openGroup(name: string, tags: Record<string, string>) {
  const vpc = await stack.admin.ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const group = await stack.admin.ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `${name} service`,
      VpcId: vpc.Vpc!.VpcId!,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  const groupId = group.GroupId!;
  await stack.admin.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh from anywhere' }] },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.20.0.0/16' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.20.0.0/16' }] },
      ],
    }),
  );
  return groupId;
}
const ingressOf = async (groupId: string) => {
  const out = await stack.admin.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return (out.SecurityGroups![0]!.IpPermissions ?? [])
    .flatMap((p) => [...(p.IpRanges ?? []).map((r) => `${p.FromPort}:${r.CidrIp}`), ...(p.Ipv6Ranges ?? []).map((r) => `${p.FromPort}:${r.CidrIpv6}`)])
    .sort();
};

const planners = () => createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws });
const plan = (params: Record<string, unknown>) => planners().closePublicAccess!({ type: 'closePublicAccess', incidentId: 'incident/x', stepId: 'close', params });
const count = (call: string) => stack.calls.filter((c) => c === call).length;

function start(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.start(closePublicAccessWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}-${Math.random().toString(36).slice(2, 8)}`,
    args: [input],
  });
}
const run = async (input: ReturnType<typeof stepInput>) => (await start(input)).result();
const undo = (input: ReturnType<typeof stepInput>, outcome: Awaited<ReturnType<typeof run>>) =>
  stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, `${input.stepId}-${Math.random().toString(36).slice(2, 6)}`),
    args: [undoRequest('U-lead', input.incidentId, input.stepId, outcome.undo!, 'the bucket serves the public price list')],
  });

test('bad input fails non-retryably and changes nothing: no resource named, a bucket or group that does not exist, a misspelt parameter', async () => {
  const before = await publicBucket('bad-input-bucket');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /names no bucket and no security group/],
    [{ bucket: 'no-such-bucket-here' }, /S3 bucket no-such-bucket-here does not exist; nothing was changed/],
    [{ securityGroupId: 'sg-0000000000000dead' }, /InvalidGroup\.NotFound|does not exist/],
    [{ bucket: 'bad-input-bucket', blockPublicAcess: true }, /closePublicAccess: invalid parameters: .*blockPublicAcess/],
  ];
  for (const [params, message] of cases) {
    const failed = await run(stepInput('close', params)).catch((e) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect((failed as WorkflowFailedError).cause?.cause).toMatchObject({ nonRetryable: true, message: expect.stringMatching(message) });
  }
  expect(await policyOf('bad-input-bucket')).toEqual(before);
  expect(await blockOf('bad-input-bucket')).toBeNull();
});

test('a public bucket: the plan shows the policy diff; Block Public Access goes on, the public statement goes; the undo puts both back', async () => {
  const before = await publicBucket('patient-exports');
  const shown = await plan({ bucket: 'patient-exports' });
  expect(shown.lines).toEqual([
    'turn on all four S3 Block Public Access settings of S3 bucket patient-exports (now: none set)',
    'remove from the bucket policy of S3 bucket patient-exports (the policy now is kept as evidence on the ledger, and put back by the undo):',
    '  - "PublicRead": Allow s3:GetObject to everyone',
    '  keep its 2 other statement(s)',
  ]);

  const calls = { block: count('s3:PutBucketPublicAccessBlock'), policy: count('s3:PutBucketPolicy') };
  const input = stepInput('close', { bucket: 'patient-exports' });
  const outcome = await run(input);
  expect(outcome.summary).toBe('Block Public Access turned fully on for S3 bucket patient-exports; 1 public statement(s) removed from the bucket policy of S3 bucket patient-exports');
  expect([count('s3:PutBucketPublicAccessBlock') - calls.block, count('s3:PutBucketPolicy') - calls.policy]).toEqual([1, 1]);
  expect(await blockOf('patient-exports')).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  expect((await policyOf('patient-exports'))!.Statement.map((s) => s.Sid)).toEqual(['AppWrite', 'VpcOnly']);
  // Two ledger records: the policy before is the evidence of what was open.
  expect(outcome.writes).toHaveLength(2);

  const again = await plan({ bucket: 'patient-exports' });
  expect(again.lines).toEqual([
    'S3 Block Public Access of S3 bucket patient-exports is already fully on',
    'the bucket policy of S3 bucket patient-exports has no statement open to everyone',
  ]);

  expect(outcome.undo).toMatchObject({ type: 'restorePublicAccess', params: { bucket: 'patient-exports', publicAccessBlock: null } });
  expect(await undo(input, outcome)).toBe('Block Public Access of S3 bucket patient-exports put back; bucket policy of patient-exports put back');
  expect(await blockOf('patient-exports')).toBeNull();
  expect(await policyOf('patient-exports')).toEqual(before);
  expect(await undo(input, outcome)).toBe('Block Public Access of S3 bucket patient-exports already as it was; bucket policy of patient-exports already as it was');
});

test('a policy of nothing but public statements is deleted; partial Block Public Access is completed and its old settings come back on undo', async () => {
  await publicBucket('price-list', [PUBLIC_READ]);
  const partial = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false };
  await stack.admin.s3.send(new PutPublicAccessBlockCommand({ Bucket: 'price-list', PublicAccessBlockConfiguration: partial }));
  const shown = await plan({ bucket: 'price-list' });
  expect(shown.lines[0]).toBe(
    'turn on all four S3 Block Public Access settings of S3 bucket price-list (now: BlockPublicAcls=true, IgnorePublicAcls=true, BlockPublicPolicy=false, RestrictPublicBuckets=false)',
  );
  expect(shown.lines[shown.lines.length - 1]).toBe('  no statement is left: delete the bucket policy');
  const input = stepInput('close', { bucket: 'price-list' });
  const outcome = await run(input);
  expect(outcome.summary).toMatch(/1 public statement\(s\) removed .* \(policy deleted: nothing was left\)$/);
  expect(await policyOf('price-list')).toBeNull();
  await undo(input, outcome);
  expect(await blockOf('price-list')).toEqual(partial);
  expect((await policyOf('price-list'))!.Statement.map((s) => s.Sid)).toEqual(['PublicRead']);
});

test('a PHI service’s security group loses its world-open ingress, nothing else; another group’s is left for a person; the undo re-authorises', async () => {
  const phi = await openGroup('patient-api-db', { phi: 'true', service: 'patient-api' });
  const other = await openGroup('marketing-site', { service: 'www' });
  const rulesBefore = await ingressOf(phi);

  const otherPlan = await plan({ securityGroupId: other });
  expect(otherPlan.lines).toEqual([
    `security group ${other} (marketing-site) is not tagged phi=true (not a PHI service): its world-open ingress (tcp port 22 from 0.0.0.0/0; tcp port 5432 from ::/0) is left for a person to judge`,
  ]);
  const otherOutcome = await run(stepInput('close', { securityGroupId: other }));
  expect(otherOutcome.undo).toBeUndefined();
  expect(await ingressOf(other)).toEqual(rulesBefore);

  expect((await plan({ securityGroupId: phi })).lines).toEqual([
    `revoke ingress tcp port 22 from 0.0.0.0/0 on security group ${phi} (patient-api-db) (re-authorised by the undo)`,
    `revoke ingress tcp port 5432 from ::/0 on security group ${phi} (patient-api-db) (re-authorised by the undo)`,
  ]);
  const revokes = count('ec2:RevokeSecurityGroupIngress');
  const input = stepInput('close', { securityGroupId: phi });
  const outcome = await run(input);
  expect(outcome.summary).toBe(`2 world-open ingress rule(s) revoked on security group ${phi}`);
  expect(count('ec2:RevokeSecurityGroupIngress') - revokes).toBe(1);
  expect(await ingressOf(phi)).toEqual(['443:10.20.0.0/16', '5432:10.20.0.0/16']);

  expect(await undo(input, outcome)).toBe(`2 ingress rule(s) re-authorised on ${phi}`);
  expect(await ingressOf(phi)).toEqual(rulesBefore);
  expect(await undo(input, outcome)).toBe(`0 ingress rule(s) re-authorised on ${phi} (2 already there)`);
});

test('the policy write lands but its answer is lost, and the worker restarts: the retry finds the statement gone, nothing is written twice', async () => {
  await publicBucket('lost-answer-bucket');
  const puts = count('s3:PutBucketPolicy');
  const landed = new Promise<void>((resolve) => (losePolicyAnswer = resolve));
  const input = stepInput('close', { bucket: 'lost-answer-bucket', blockPublicAccess: false });
  const handle = await start(input);
  await landed;
  await stack.stopWorker();
  await stack.startWorker();
  const outcome = await handle.result();
  expect(outcome.summary).toBe('1 public statement(s) removed from the bucket policy of S3 bucket lost-answer-bucket');
  expect(count('s3:PutBucketPolicy') - puts).toBe(1);
  expect((await policyOf('lost-answer-bucket'))!.Statement.map((s) => s.Sid)).toEqual(['AppWrite', 'VpcOnly']);
  // The undo still holds the policy as it was before the step, not what the retry read.
  expect(JSON.parse(outcome.undo!.params.policy as string).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['PublicRead', 'AppWrite', 'VpcOnly']);
  await undo(input, outcome);
  expect((await policyOf('lost-answer-bucket'))!.Statement.map((s) => s.Sid)).toEqual(['PublicRead', 'AppWrite', 'VpcOnly']);
});

test('every AWS call the closures and their undos made is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(
    expect.arrayContaining(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock', 'ec2:DescribeSecurityGroups', 'ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupIngress']),
  );
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
