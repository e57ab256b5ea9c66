/**
 * The new scenarios end to end over signed HTTP: GitHub webhooks (X-Hub-Signature-256; ping,
 * redelivery, secret scanning of an AWS key, Dependabot) and AWS posture findings through an
 * EventBridge API destination (Access Analyzer, Security Hub ASFF, Config) reach the real ingress,
 * select their shipped runbook, and run to its approval gate with a plan read from moto. Nothing
 * in AWS changes before an approval.
 */
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import { createAwsClients } from '../../activities/aws';
import { evidenceStoreFor } from '../../activities/evidence/from-config';
import type { IncidentState } from '../../domain/incident';
import type { RunningServer } from '../../ingress';
import type { Config } from '../../platform/config';
import { stateQuery } from '../../workflows/definitions';
import { fixture, signatureHeaders } from '../fixtures/alerts';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { startMoto, type Moto } from '../support/moto';
import { waitFor } from '../support/runbooks';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const GITHUB_SECRET = 'github-webhook-secret-for-tests-01';
const EVENTBRIDGE_TOKEN = 'eventbridge-api-destination-token-01';

let moto: Moto;
let env: TestWorkflowEnvironment;
let config: Config;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
const escalations: Escalation[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
  post: async () => undefined,
};
let admin: ReturnType<typeof createAwsClients>;
let groupId: string;

beforeAll(async () => {
  moto = await startMoto();
  config = testConfig({
    aws: { region: moto.region, endpoint: moto.endpoint },
    sources: { github: { hmacSecret: GITHUB_SECRET }, eventbridge: { bearerToken: EVENTBRIDGE_TOKEN } },
  });
  env = await startDevServer(config);
  const aws = createAwsClients(config.aws);
  const deps = testActivityDeps({ aws, awsSettings: config.aws, notifier, decisionKeys: stackDecisionKeys(config), evidence: { store: evidenceStoreFor(config), cloudTrailLookbackHours: 24 } });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
  ({ server: ingress } = await startIngress(env, config));
  admin = createAwsClients(config.aws);
  // What the findings are about: a public bucket and a PHI service's world-open security group.
  await admin.s3.send(new CreateBucketCommand({ Bucket: 'patient-exports' }));
  const policy = { Version: '2012-10-17', Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::patient-exports/*' }] };
  await admin.s3.send(new PutBucketPolicyCommand({ Bucket: 'patient-exports', Policy: JSON.stringify(policy) }));
  const vpc = await admin.ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
  groupId = (
    await admin.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'patient-api-db',
        Description: 'patient api database',
        VpcId: vpc.Vpc!.VpcId!,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'phi', Value: 'true' }] }],
      }),
    )
  ).GroupId!;
  await admin.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await moto?.stop();
});

const postGitHub = (event: string, body: string, headers: Record<string, string> = signatureHeaders.github(GITHUB_SECRET, body), delivery = 'a1b2c3d4-0000-11ef-8000-000000000001') =>
  fetch(`${ingress.url}/alerts/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'user-agent': 'GitHub-Hookshot/abc1234', ...headers },
    body,
  });
const postEventBridge = (body: string, token = EVENTBRIDGE_TOKEN) =>
  fetch(`${ingress.url}/alerts/eventbridge`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });

const state = (incidentId: string) => env.client.workflow.getHandle(incidentId).query(stateQuery);
const stepOf = (s: IncidentState, id: string) => s.steps.find((st) => st.id === id);

test('unsigned, wrongly signed or wrongly tokened deliveries are 401 and start nothing', async () => {
  const body = fixture('github-secret-scanning');
  expect((await postGitHub('secret_scanning_alert', body, {})).status).toBe(401);
  expect((await postGitHub('secret_scanning_alert', body, signatureHeaders.github('not-the-webhook-secret-000', body))).status).toBe(401);
  expect((await postEventBridge(fixture('eventbridge-access-analyzer'), 'not-the-api-destination-token')).status).toBe(401);
  expect(escalations).toEqual([]);
});

test('GitHub ping: accepted, no incident', async () => {
  const res = await postGitHub('ping', fixture('github-ping'));
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: 0, incidents: [] });
});

test('GitHub secret scanning of an AWS key opens the credential runbook; a redelivery attaches nothing; the revoke step asks a person for the key', async () => {
  const body = fixture('github-secret-scanning');
  const res = await postGitHub('secret_scanning_alert', body);
  expect(res.status).toBe(202);
  const { incidents } = (await res.json()) as { incidents: string[] };
  expect(incidents).toHaveLength(1);
  const incidentId = incidents[0]!;
  // GitHub's redelivery: same body, same delivery id.
  const again = await postGitHub('secret_scanning_alert', body);
  expect(again.status).toBe(202);
  const settled = await waitFor(() => state(incidentId), (s) => stepOf(s, 'revoke-key')?.status === 'failed', 'revoke-key failed', 60_000);
  expect(settled.runbook?.id).toBe('credential-compromise');
  expect(settled.alerts).toHaveLength(1);
  expect(stepOf(settled, 'tell-responders')).toMatchObject({ status: 'succeeded' });
  expect(stepOf(settled, 'snapshot-evidence')).toMatchObject({ status: 'succeeded' });
  expect(stepOf(settled, 'revoke-key')?.error).toMatch(/do not provide alert\.subject\.(principal|accessKeyId)/);
  // The failure shows in the state the moment the step fails; the escalation is the activity after it.
  const escalated = await waitFor(async () => escalations.filter((e) => e.incidentId === incidentId).map((e) => e.stepId), (ids) => ids.length > 0, 'revoke-key escalated');
  expect(escalated).toEqual(['revoke-key']);
});

test('Access Analyzer: a public bucket selects misconfigured-access-policy, which waits for approval with the policy diff; the bucket is untouched', async () => {
  const res = await postEventBridge(fixture('eventbridge-access-analyzer'));
  expect(res.status).toBe(202);
  const [incidentId] = ((await res.json()) as { incidents: string[] }).incidents;
  const waiting = await waitFor(() => state(incidentId!), (s) => stepOf(s, 'close-public-access')?.status === 'awaiting-approval', 'awaiting approval', 60_000);
  expect(waiting.runbook?.id).toBe('misconfigured-access-policy');
  expect(stepOf(waiting, 'close-public-access')!.plan).toEqual([
    'turn on all four S3 Block Public Access settings of S3 bucket patient-exports (now: none set)',
    'remove from the bucket policy of S3 bucket patient-exports (the policy now is kept as evidence on the ledger, and put back by the undo):',
    '  - "PublicRead": Allow s3:GetObject to everyone',
    '  no statement is left: delete the bucket policy',
  ]);
  const policy = await admin.s3.send(new GetBucketPolicyCommand({ Bucket: 'patient-exports' }));
  expect(JSON.parse(policy.Policy!).Statement).toHaveLength(1);
});

test('Config NON_COMPLIANT on the same bucket selects the same runbook, as its own incident', async () => {
  const res = await postEventBridge(fixture('eventbridge-config'));
  expect(res.status).toBe(202);
  const [incidentId] = ((await res.json()) as { incidents: string[] }).incidents;
  const waiting = await waitFor(() => state(incidentId!), (s) => stepOf(s, 'close-public-access')?.status === 'awaiting-approval', 'awaiting approval', 60_000);
  expect(waiting.runbook?.id).toBe('misconfigured-access-policy');
});

test('Security Hub EC2.19 on a PHI service’s group selects misconfigured-access-policy, planning to revoke its world-open ingress', async () => {
  const event = JSON.parse(fixture('eventbridge-securityhub'));
  event.detail.findings[0].Resources[0].Id = `arn:aws:ec2:us-east-1:123456789012:security-group/${groupId}`;
  const res = await postEventBridge(JSON.stringify(event));
  expect(res.status).toBe(202);
  const [incidentId] = ((await res.json()) as { incidents: string[] }).incidents;
  const waiting = await waitFor(() => state(incidentId!), (s) => stepOf(s, 'close-public-access')?.status === 'awaiting-approval', 'awaiting approval', 60_000);
  expect(stepOf(waiting, 'close-public-access')!.plan).toEqual([`revoke ingress tcp port 5432 from 0.0.0.0/0 on security group ${groupId} (patient-api-db) (re-authorised by the undo)`]);
  const group = await admin.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  expect(group.SecurityGroups![0]!.IpPermissions).toHaveLength(1);
});

test('Dependabot: a vulnerable dependency selects its runbook, which tells the owner and records the fix due by severity; fixed is recorded on the incident', async () => {
  const res = await postGitHub('dependabot_alert', fixture('github-dependabot'), undefined, 'a1b2c3d4-0000-11ef-8000-000000000002');
  expect(res.status).toBe(202);
  const [incidentId] = ((await res.json()) as { incidents: string[] }).incidents;
  const done = await waitFor(() => state(incidentId!), (s) => stepOf(s, 'record-fix-due')?.status === 'succeeded', 'fix due recorded', 60_000);
  expect(done.runbook?.id).toBe('vulnerable-dependency');
  expect(stepOf(done, 'tell-owner')).toMatchObject({ status: 'succeeded' });
  // high: 30 days from Dependabot's created_at (2024-05-02)
  expect(stepOf(done, 'record-fix-due')!.summary).toBe('vulnerable dependency of patient-api: fix due by 2024-06-01 (high: within 30d of 2024-05-02)');
  const fixed = await postGitHub('dependabot_alert', fixture('github-dependabot-fixed'), undefined, 'a1b2c3d4-0000-11ef-8000-000000000003');
  expect(((await fixed.json()) as { incidents: string[] }).incidents).toEqual([incidentId]);
  const after = await waitFor(() => state(incidentId!), (s) => s.alerts.length === 2, 'fixed recorded', 30_000);
  expect(after.alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
});
