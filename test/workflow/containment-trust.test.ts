/**
 * No incident dies on an error. Every shipped runbook, with the real planners against moto, meets
 * the alerts real sources send at their edges (unknown principal, a role, root, a missing setting,
 * refused addresses, a missing key id, AWS unreachable until the retries run out): each incident
 * stays Running and listed, the failing step says why, and it escalates once.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { CreateIPSetCommand } from '@aws-sdk/client-wafv2';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import { createAwsClients } from '../../activities/aws';
import type { Alert } from '../../domain/alert';
import type { IncidentState } from '../../domain/incident';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { startMoto, type Moto } from '../support/moto';
import { waitFor } from '../support/runbooks';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(180_000);

let moto: Moto;
let env: TestWorkflowEnvironment;
let config: Config;
const stops: (() => Promise<void>)[] = [];
const escalations: Escalation[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
  post: async () => undefined,
};

/** Task queues of three workers that differ only in their AWS settings. */
const QUEUE = { withIpSet: 'trust-ipset', noIpSet: 'trust-no-ipset', unreachable: 'trust-unreachable' };

beforeAll(async () => {
  moto = await startMoto();
  config = testConfig({ aws: { region: moto.region, endpoint: moto.endpoint } });
  env = await startDevServer(config);
  const admin = createAwsClients(config.aws);
  await admin.iam.send(new CreateUserCommand({ UserName: 'svc-known' }));
  await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-known' }));
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  await admin.iam.send(new CreateRoleCommand({ RoleName: 'ec2-app-role', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  const set = await admin.waf.send(new CreateIPSetCommand({ Name: 'edge', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: [] }));
  const wafIpSet = { name: 'edge', id: set.Summary!.Id!, scope: 'REGIONAL' as const };
  const worker = async (taskQueue: string, aws: Partial<Config['aws']>, endpoint = moto.endpoint) => {
    const settings = { ...config.aws, ...aws };
    const queueConfig = { ...config, temporal: { ...config.temporal, taskQueue } };
    const deps = testActivityDeps({ aws: createAwsClients({ ...settings, endpoint }), awsSettings: settings, notifier });
    stops.push((await startWorker(env, queueConfig, createActivities(deps))).stop);
  };
  await worker(QUEUE.withIpSet, { wafIpSet });
  await worker(QUEUE.noIpSet, {});
  // Nothing listens on port 9: every AWS call fails as retryable until the step's retries run out.
  await worker(QUEUE.unreachable, { wafIpSet }, 'http://127.0.0.1:9');
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await env?.teardown();
  await moto?.stop();
});

interface Row {
  name: string;
  queue: string;
  alert: Partial<Alert>;
  runbook: string;
  /** failed steps and what their error says; none: the incident waits for a person otherwise */
  fails: Record<string, RegExp>;
  /** a step that planned and waits for approval, and what its plan says */
  awaits?: [string, RegExp];
}

const ROWS: Row[] = [
  {
    name: 'credential-compromise: a principal that is not in the account',
    queue: QUEUE.withIpSet,
    alert: { kind: 'LeakedAccessKey', subject: { principal: 'nobody-here', accessKeyId: 'AKIAUNKNOWNKEY000001' } },
    runbook: 'credential-compromise',
    fails: { 'revoke-key': /no IAM user or role named nobody-here; nothing was changed/ },
  },
  {
    name: 'credential-compromise: a key that is not the user’s',
    queue: QUEUE.withIpSet,
    alert: { kind: 'LeakedAccessKey', subject: { principal: 'svc-known', accessKeyId: 'AKIANOTINACCOUNT0001' } },
    runbook: 'credential-compromise',
    fails: { 'revoke-key': /AKIANOTINACCOUNT0001 do not belong to IAM user svc-known/ },
  },
  {
    name: 'credential-compromise: GuardDuty reporting an EC2 instance role session',
    queue: QUEUE.withIpSet,
    alert: {
      source: 'guardduty',
      kind: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      subject: { principal: 'ec2-app-role', principalType: 'assumed-role', sessionName: 'i-0abc1234', accessKeyId: 'ASIAEXAMPLETEMPKEY01' },
    },
    runbook: 'credential-compromise',
    fails: {},
    awaits: ['revoke-key', /IAM role ec2-app-role/],
  },
  {
    name: 'credential-compromise: a root finding',
    queue: QUEUE.withIpSet,
    alert: { source: 'guardduty', kind: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', subject: { principal: 'Root', principalType: 'root', accessKeyId: 'ASIAROOTSESSION00001' } },
    runbook: 'credential-compromise',
    fails: { 'revoke-key': /root/i },
  },
  {
    name: 'credential-compromise: a bare name that is neither a user nor a role',
    queue: QUEUE.withIpSet,
    alert: { kind: 'LeakedAccessKey', subject: { principal: 'ghost-anything' } },
    runbook: 'credential-compromise',
    fails: { 'revoke-key': /do not provide alert\.subject\.accessKeyId|no IAM user or role named ghost-anything/ },
  },
  {
    name: 'exposed-kms-key: an alert without a key id',
    queue: QUEUE.withIpSet,
    alert: { kind: 'ExposedKmsKey', subject: {} },
    runbook: 'exposed-kms-key',
    fails: { 'revoke-key-access': /do not provide alert\.subject\.kmsKeyId/ },
  },
  {
    name: 'exposed-kms-key: a key that does not exist',
    queue: QUEUE.withIpSet,
    alert: { kind: 'ExposedKmsKey', subject: { kmsKeyId: 'alias/not-a-key' } },
    runbook: 'exposed-kms-key',
    fails: { 'revoke-key-access': /alias\/not-a-key does not exist/ },
  },
  {
    name: 'malicious-edge-traffic: no WAF IP set configured',
    queue: QUEUE.noIpSet,
    alert: { kind: 'MaliciousTraffic', subject: { ips: ['203.0.113.9'] } },
    runbook: 'malicious-edge-traffic',
    fails: { 'block-sources': /no ipSet in the step and no aws\.wafIpSet configured/ },
  },
  {
    name: 'malicious-edge-traffic: a private address',
    queue: QUEUE.withIpSet,
    alert: { kind: 'MaliciousTraffic', subject: { ips: ['10.0.0.8'] } },
    runbook: 'malicious-edge-traffic',
    fails: { 'block-sources': /refused: .*10\.0\.0\.8/ },
  },
  {
    name: 'malicious-edge-traffic: the whole internet',
    queue: QUEUE.withIpSet,
    alert: { kind: 'MaliciousTraffic', subject: { ips: ['0.0.0.0/0'] } },
    runbook: 'malicious-edge-traffic',
    fails: { 'block-sources': /refused: .*0\.0\.0\.0\/0/ },
  },
  {
    name: 'malicious-edge-traffic: no addresses at all',
    queue: QUEUE.withIpSet,
    alert: { kind: 'MaliciousTraffic', subject: {} },
    runbook: 'malicious-edge-traffic',
    fails: { 'block-sources': /do not provide alert\.subject\.ips/ },
  },
  {
    name: 'malicious-edge-traffic: AWS unreachable until the planner’s retries run out',
    queue: QUEUE.unreachable,
    alert: { kind: 'MaliciousTraffic', subject: { ips: ['203.0.113.10'] } },
    runbook: 'malicious-edge-traffic',
    fails: { 'block-sources': /ECONNREFUSED|connect/ },
  },
  {
    name: 'abnormal-phi-export: an unknown principal',
    queue: QUEUE.withIpSet,
    alert: { kind: 'AbnormalPhiExport', subject: { principal: 'ghost-exporter' } },
    runbook: 'abnormal-phi-export',
    fails: { 'cut-off-principal': /ghost-exporter/ },
  },
  {
    name: 'suspicious-admin-activity: an unknown principal',
    queue: QUEUE.withIpSet,
    alert: { kind: 'SuspiciousAdminActivity', subject: { principal: 'ghost-admin' } },
    runbook: 'suspicious-admin-activity',
    fails: { 'freeze-admin': /ghost-admin/ },
  },
  {
    name: 'ransomware-data-store: an unknown writer without addresses',
    queue: QUEUE.withIpSet,
    alert: { kind: 'RansomwareSuspected', severity: 'critical', subject: { principal: 'ghost-writer' } },
    runbook: 'ransomware-data-store',
    fails: { 'cut-off-writer': /ghost-writer/, 'block-writer-sources': /do not provide alert\.subject\.ips/, 'protect-data': /names no bucket and no database/ },
  },
  {
    name: 'credential-compromise: GitHub secret scanning (the webhook carries no key)',
    queue: QUEUE.withIpSet,
    alert: { source: 'github', kind: 'LeakedAccessKey', severity: 'critical', subject: { service: 'patient-api' } },
    runbook: 'credential-compromise',
    fails: { 'revoke-key': /do not provide alert\.subject\.(principal|accessKeyId)/ },
  },
  {
    name: 'misconfigured-access-policy: a finding naming neither bucket nor security group',
    queue: QUEUE.withIpSet,
    alert: { source: 'eventbridge', kind: 'SecurityHub/S3.2', subject: {} },
    runbook: 'misconfigured-access-policy',
    fails: { 'close-public-access': /names no bucket and no security group/ },
  },
  {
    name: 'misconfigured-access-policy: a bucket that is not there',
    queue: QUEUE.withIpSet,
    alert: { source: 'eventbridge', kind: 'AccessAnalyzer/Public/AWS::S3::Bucket', subject: { bucket: 'no-such-patient-bucket' } },
    runbook: 'misconfigured-access-policy',
    fails: { 'close-public-access': /S3 bucket no-such-patient-bucket does not exist/ },
  },
  {
    name: 'vulnerable-dependency: a Dependabot alert runs to its end and stays with a person',
    queue: QUEUE.withIpSet,
    alert: { source: 'github', kind: 'VulnerableDependency', severity: 'critical', subject: { service: 'patient-api' } },
    runbook: 'vulnerable-dependency',
    fails: {},
  },
  {
    name: 'triage: an alert nothing matches',
    queue: QUEUE.withIpSet,
    alert: { kind: 'SomethingNobodyWrote' },
    runbook: 'triage',
    fails: {},
  },
];

const settled = (s: IncidentState, row: Row) =>
  row.awaits
    ? s.steps.find((st) => st.id === row.awaits![0])?.status === 'awaiting-approval'
    : Object.keys(row.fails).every((id) => s.steps.find((st) => st.id === id)?.status === 'failed') &&
      (Object.keys(row.fails).length > 0 || s.runbookDone === true);

test('no shipped runbook ends an incident Failed on edge alerts; each failure escalates once', async () => {
  const opened = await Promise.all(
    ROWS.map(async (row) => ({ row, ...(await deliverAlert(env.client, row.queue, anAlert(row.alert))) })),
  );
  const results = await Promise.all(
    opened.map(async ({ row, incidentId }) => {
      const handle = env.client.workflow.getHandle(incidentId);
      const state = await waitFor(() => handle.query(stateQuery), (s) => settled(s, row), row.name, 90_000);
      return { row, incidentId, handle, state };
    }),
  );
  for (const { row, incidentId, handle, state } of results) {
    const description = await handle.describe();
    expect([row.name, description.status.name]).toEqual([row.name, 'RUNNING']);
    expect([row.name, state.runbook?.id]).toEqual([row.name, row.runbook]);
    for (const [stepId, why] of Object.entries(row.fails)) {
      const step = state.steps.find((s) => s.id === stepId)!;
      expect([row.name, stepId, step.error]).toEqual([row.name, stepId, expect.stringMatching(why)]);
    }
    if (row.awaits) {
      const plan = state.steps.find((s) => s.id === row.awaits![0])!.plan!.join('\n');
      expect([row.name, plan]).toEqual([row.name, expect.stringMatching(row.awaits[1])]);
    }
    const failed = Object.keys(row.fails);
    expect([row.name, state.escalated]).toEqual([row.name, failed.length > 0]);
    // Parallel steps that fail together escalate one after another: wait for the last to be told.
    await waitFor(async () => escalations.filter((e) => e.incidentId === incidentId).length, (n) => n >= failed.length, `${row.name}: escalations`, 10_000).catch(() => undefined);
    const told = escalations.filter((e) => e.incidentId === incidentId).map((e) => e.stepId).sort();
    expect([row.name, told]).toEqual([row.name, [...failed].sort()]);
    const timeline = await handle.query(timelineQuery);
    expect([row.name, timeline.filter((e) => e.kind === 'step.failed').length]).toEqual([row.name, failed.length]);
    // Listed where responders look: visibility by status, as `incidents list` and the dashboard do.
    const listed = await env.client.workflow.count(`WorkflowId = '${incidentId}' AND ExecutionStatus = 'Running' AND TourniquetStatus = '${state.status}'`);
    expect([row.name, listed.count]).toEqual([row.name, 1]);
  }
  for (const { handle } of results) await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId, { groups: ['security-oncall'] }), reason: 'table test done' }] });
  for (const { row, handle } of results) expect([row.name, (await handle.result()).status]).toEqual([row.name, 'resolved']);
});

test('an error of our own (an activity handing back a corrupt runbook) is an escalated incident, not a Failed workflow', async () => {
  const corrupt = { runbook: { id: 'broken', title: 'broken', steps: null }, contentHash: 'x'.repeat(64), file: 'broken.yaml' };
  const activities = createActivities(testActivityDeps({ notifier }));
  const broken = { ...activities, prepareIncident: async () => ({ pinned: corrupt as never, approverGroups: {} }) };
  stops.push((await startWorker(env, { ...config, temporal: { ...config.temporal, taskQueue: 'trust-broken' } }, broken)).stop);
  const { incidentId } = await deliverAlert(env.client, 'trust-broken', anAlert({ kind: 'Corrupt' }));
  const handle = env.client.workflow.getHandle(incidentId);
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.escalated, 'escalated');
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const timeline = await handle.query(timelineQuery);
  expect(timeline).toContainEqual(expect.objectContaining({ kind: 'incident.fault', message: expect.stringMatching(/A person must take it over/) }));
  await waitFor(async () => escalations.filter((e) => e.incidentId === incidentId).length, (n) => n > 0, 'escalation sent');
  expect(escalations.filter((e) => e.incidentId === incidentId)).toEqual([expect.objectContaining({ message: expect.stringMatching(/could not go on/) })]);
  expect(state.status).not.toBe('resolved');
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId, { groups: ['security-oncall'] }), reason: 'fixed by hand' }] });
  expect((await handle.result()).status).toBe('resolved');
});

test('choosing the runbook is retried when it fails for a moment (runbooks unreadable), and the incident opens with it', async () => {
  const activities = createActivities(testActivityDeps({ notifier }));
  let attempts = 0;
  const flaky = {
    ...activities,
    prepareIncident: async (alert: Alert) => {
      attempts += 1;
      if (attempts <= 2) throw Object.assign(new Error('EACCES: permission denied, scandir runbooks'), { code: 'EACCES' });
      return activities.prepareIncident(alert);
    },
  };
  stops.push((await startWorker(env, { ...config, temporal: { ...config.temporal, taskQueue: 'trust-flaky-prepare' } }, flaky)).stop);
  const { incidentId } = await deliverAlert(env.client, 'trust-flaky-prepare', anAlert({ kind: 'NothingMatchesThis', subject: { principal: 'svc-flaky' } }));
  const handle = env.client.workflow.getHandle(incidentId);
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'succeeded', 'the first step ran after the retries');
  expect(attempts).toBe(3);
  expect(state.runbook?.id).toBe('triage');
  expect(state.escalated).toBe(false);
  const timeline = await handle.query(timelineQuery);
  expect(timeline.filter((e) => e.kind === 'incident.opened')).toHaveLength(1);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId, { groups: ['security-oncall'] }), reason: 'done' }] });
  expect((await handle.result()).status).toBe('resolved');
});

test('a client starting an incident with a made-up carried state (its own runbook) gets a fresh incident', async () => {
  const alert = anAlert({ kind: 'SomethingNobodyWrote' });
  const workflowId = `incident/${alert.fingerprint}`;
  const forged = { runbook: { id: 'forged', title: 'forged', steps: [{ step: { id: 'x', type: 'webhook', with: { url: 'http://127.0.0.1:9/' }, timeout: '5m', retry: { maximumAttempts: 1, initialInterval: '1s' }, continueOnError: false } }] }, contentHash: 'f'.repeat(64), file: 'forged.yaml' };
  const handle = await env.client.workflow.signalWithStart('incidentWorkflow', {
    workflowId,
    taskQueue: QUEUE.withIpSet,
    args: [{ id: workflowId, requester: 'alert:generic', carried: { state: undefined, timeline: [], seenDeliveries: [], approverGroups: {}, pinned: forged } }],
    signal: 'alert',
    signalArgs: [alert],
  });
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.runbookDone === true, 'runbook done');
  expect(state.runbook?.id).toBe('triage');
  expect(state.steps.map((s) => s.id)).toEqual(['tell-responders']);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId, { groups: ['security-oncall'] }), reason: 'done' }] });
});
