/**
 * A drill of every shipped runbook, on a real Temporal server with the real planners against moto:
 * AWS steps are planned from real state and approved by real (proved) decisions, and not one AWS
 * write leaves the worker (every request the SDK sends is counted); every Slack message (through the
 * real notifier and the Slack stand-in) says EXERCISE; a PHI runbook's drill runs an exercise clock. Below the
 * workflow, the AWS activities themselves refuse an exercise's writes.
 */
import { readdirSync } from 'node:fs';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { AdminCreateUserCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CreateBucketCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { CreateIPSetCommand } from '@aws-sdk/client-wafv2';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createAwsActivities, createAwsClients, type AwsClients } from '../../activities/aws';
import { EXERCISE_WRITE_REFUSED } from '../../activities/aws/ledger';
import { EXERCISE_BANNER } from '../../activities/slack/blocks';
import type { AlertSubject } from '../../domain/alert';
import { drillAlert } from '../../domain/exercise';
import { drillStatus, measureDrill } from '../../domain/exercise-report';
import { breachClockId, exerciseIncidentId, isExerciseId, stepScopedId } from '../../domain/ids';
import type { IncidentState } from '../../domain/incident';
import { exerciseRecords } from '../../ingress/drills';
import { deliverAlert } from '../../ingress/incidents';
import { listIncidents, visibility } from '../../ingress/read-model';
import type { Config } from '../../platform/config';
import { approveUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { prove, testGrants } from '../support/decisions';
import { startMoto, type Moto } from '../support/moto';
import { waitFor } from '../support/runbooks';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(240_000);

const TOKEN = 'xoxb-drills';
const ONCALL = ['U-on1', 'U-on2'];
const approverGroups = { 'security-oncall': ONCALL, 'security-leads': ['U-lead'] };
const approveAs = testGrants(approverGroups);

let moto: Moto;
let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let stop: () => Promise<void>;
let admin: AwsClients;
let accessKeyId: string;
let kmsKeyId: string;
let userPoolId: string;
/** every AWS request the worker's clients sent that is not a read */
const writesSent: string[] = [];
const readsSent: string[] = [];
const audit = memoryAudit();

/** Clients that count what they send, after the exercise guard had its say. */
function counted(clients: AwsClients): AwsClients {
  for (const client of Object.values(clients) as { middlewareStack: { add: (mw: never, o: object) => void } }[]) {
    const count = (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      (/^(Admin)?(Get|List|Describe|Lookup|Check|Simulate)/.test(op) ? readsSent : writesSent).push(op);
      return next(args);
    };
    client.middlewareStack.add(count as never, { step: 'finalizeRequest', name: 'testCount' });
  }
  return clients;
}

beforeAll(async () => {
  moto = await startMoto();
  standin = await slackStandin(TOKEN);
  admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
  await admin.iam.send(new CreateUserCommand({ UserName: 'svc-drill' }));
  accessKeyId = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-drill' }))).AccessKey!.AccessKeyId!;
  kmsKeyId = (await admin.kms.send(new CreateKeyCommand({ Description: 'drill key' }))).KeyMetadata!.KeyId!;
  // A portal user: the API-token drill plans signing them out, and signs out nobody.
  userPoolId = (await admin.cognito.send(new CreateUserPoolCommand({ PoolName: 'drill-portal' }))).UserPool!.Id!;
  await admin.cognito.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: 'pat-drill', MessageAction: 'SUPPRESS' }));
  // A bucket open to the world: the access-policy drill plans its closing from it, and closes nothing.
  await admin.s3.send(new CreateBucketCommand({ Bucket: PUBLIC_BUCKET }));
  await admin.s3.send(new CreateBucketCommand({ Bucket: DATA_BUCKET }));
  const open = { Version: '2012-10-17', Statement: [{ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${PUBLIC_BUCKET}/*` }] };
  await admin.s3.send(new PutBucketPolicyCommand({ Bucket: PUBLIC_BUCKET, Policy: JSON.stringify(open) }));
  const set = await admin.waf.send(new CreateIPSetCommand({ Name: 'drill-edge', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: [] }));
  config = testConfig({ aws: { region: moto.region, endpoint: moto.endpoint, wafIpSet: { name: 'drill-edge', id: set.Summary!.Id!, scope: 'REGIONAL' } } });
  env = await startDevServer(config);
  const notifier = standinNotifier(standin, 'C0DRILLS', approverGroups);
  const aws = counted(createAwsClients(config.aws));
  const deps = testActivityDeps({ aws, awsSettings: config.aws, notifier, audit, approverGroups });
  stop = (await startWorker(env, config, createActivities(deps))).stop;
});

afterAll(async () => {
  await stop?.();
  await env?.teardown();
  await standin?.close();
  await moto?.stop();
});

test('below the workflow: an AWS write activity serving an exercise is refused, non-retryable, and AWS is unchanged', async () => {
  const aws = createAwsActivities({ aws: admin, awsSettings: config.aws, fetch, audit });
  const exercise = stepScopedId('playbook', exerciseIncidentId('below'), 'revoke-key');
  const inExercise = new MockActivityEnvironment({ workflowExecution: { workflowId: exercise, runId: 'r1' } });
  await expect(inExercise.run(aws.deactivateAccessKeys, { principal: 'svc-drill', accessKeyIds: [accessKeyId] })).rejects.toMatchObject({
    type: EXERCISE_WRITE_REFUSED,
    nonRetryable: true,
  });
  // Even an SDK write sent outside any write scope, from an activity of an exercise, never leaves.
  const { UpdateAccessKeyCommand } = await import('@aws-sdk/client-iam');
  await expect(
    inExercise.run(async () => admin.iam.send(new UpdateAccessKeyCommand({ UserName: 'svc-drill', AccessKeyId: accessKeyId, Status: 'Inactive' }))),
  ).rejects.toMatchObject({ type: EXERCISE_WRITE_REFUSED });
  const keys = await admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-drill' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active']);
  expect(audit.events.filter((e) => e.what === 'aws.write')).toEqual([]);
  // Reads are allowed (planning needs real state), and a real incident's activity is not refused.
  await expect(inExercise.run(async () => admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-drill' })))).resolves.toBeDefined();
  expect(isExerciseId('incident/0123abcd')).toBe(false);
  expect(isExerciseId(stepScopedId('playbook', 'incident/0123abcd', 'revoke-key'))).toBe(false);
});

const PUBLIC_BUCKET = 'drill-public-bucket';
const DATA_BUCKET = 'drill-data-bucket';

const SUBJECTS: Record<string, () => AlertSubject> = {
  'credential-compromise': () => ({ principal: 'svc-drill', principalType: 'iam-user', accessKeyId }),
  'exposed-kms-key': () => ({ kmsKeyId }),
  'api-token-compromise': () => ({ cognitoUser: { userPoolId, username: 'pat-drill' } }),
  'malicious-edge-traffic': () => ({ ips: ['203.0.113.77'] }),
  'abnormal-phi-export': () => ({ principal: 'svc-drill', principalType: 'iam-user' }),
  'suspicious-admin-activity': () => ({ principal: 'svc-drill', principalType: 'iam-user' }),
  'ransomware-data-store': () => ({ principal: 'svc-drill', principalType: 'iam-user', ips: ['198.51.100.23'], bucket: DATA_BUCKET, accountId: '123456789012' }),
  'misconfigured-access-policy': () => ({ bucket: PUBLIC_BUCKET }),
  'vulnerable-dependency': () => ({ service: 'drill-service' }),
  triage: () => ({}),
};

/** Approve every step waiting for approval (two distinct on-call members), until the runbook is done. */
async function approveThrough(incidentId: string): Promise<IncidentState> {
  const handle = env.client.workflow.getHandle(incidentId);
  for (;;) {
    const state = await waitFor(
      () => handle.query(stateQuery),
      (s) => s.runbookDone === true || s.steps.some((st) => st.status === 'awaiting-approval') || s.steps.some((st) => st.status === 'failed'),
      `${incidentId} waits or is done`,
      90_000,
    );
    if (state.runbookDone || state.steps.some((st) => st.status === 'failed')) return state;
    for (const st of state.steps.filter((s) => s.status === 'awaiting-approval')) {
      for (const by of ONCALL) {
        const now = await handle.query(stateQuery);
        const waiting = now.steps.find((s) => s.id === st.id);
        if (waiting?.status !== 'awaiting-approval') break;
        if (waiting.approvals.some((a) => a.by === by)) continue;
        const subject = { stepId: st.id, planHash: st.planHash! };
        const refused = await handle
          .executeUpdate(approveUpdate, { args: [{ proof: approveAs(by, 'approve', incidentId, { subject }), stepId: st.id, justification: 'drill', planHash: st.planHash! }] })
          .then(() => undefined, (err: Error) => err);
        if (!refused) continue;
        // The step may have gone on between that query and this approval (one approval was enough):
        // fine only if somebody did approve it; anything else is a real refusal.
        const after = (await handle.query(stateQuery)).steps.find((s) => s.id === st.id);
        if (!/not awaiting approval/.test(String((refused.cause as Error | undefined)?.message)) || !after?.approvals.some((a) => a.decision === 'approve')) throw refused;
        break;
      }
    }
  }
}

test('a drill of every shipped runbook: real plans, approvals, zero AWS writes, EXERCISE on every Slack message, an exercise clock only for PHI', async () => {
  const shipped = readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  expect(Object.keys(SUBJECTS).sort()).toEqual(shipped);
  const drills = await Promise.all(
    shipped.map(async (runbook) => {
      const { alert, incidentId } = drillAlert({ runbook, severity: 'high', subject: SUBJECTS[runbook]!(), startedBy: 'U-facilitator', suffix: `t-${runbook}`, at: new Date().toISOString() });
      await deliverAlert(env.client, config.temporal.taskQueue, alert, 'U-facilitator');
      return { runbook, incidentId };
    }),
  );
  const results = await Promise.all(drills.map(async (d) => ({ ...d, state: await approveThrough(d.incidentId) })));
  for (const { runbook, incidentId, state } of results) {
    expect([runbook, state.runbook?.id]).toEqual([runbook, runbook]);
    expect([runbook, state.steps.filter((s) => s.status === 'failed').map((s) => `${s.id}: ${s.error}`)]).toEqual([runbook, []]);
    expect([runbook, state.runbookDone]).toEqual([runbook, true]);
    for (const st of state.steps.filter((s) => s.type !== 'notify')) {
      expect([runbook, st.id, st.status, st.summary]).toEqual([runbook, st.id, 'succeeded', expect.stringMatching(/^exercise: would have /)]);
      expect([runbook, st.id, st.writes ?? []]).toEqual([runbook, st.id, []]);
    }
    // Gated steps were planned from real AWS state and approved by distinct people.
    for (const st of state.steps.filter((s) => s.approvals.length > 0)) expect(st.plan!.length).toBeGreaterThan(0);
    const timeline = await env.client.workflow.getHandle(incidentId).query(timelineQuery);
    // A PHI runbook's drill runs an exercise clock (compressed, never among real clocks: drill-clock.test.ts); no other drill has one.
    if (['abnormal-phi-export', 'api-token-compromise', 'ransomware-data-store'].includes(runbook)) {
      expect(timeline).toContainEqual(expect.objectContaining({ kind: 'breach-clock.started', message: expect.stringMatching(/^EXERCISE: .*breach-clock\/exercise-/) }));
      expect((await env.client.workflow.getHandle(breachClockId(incidentId)).describe()).workflowId).toBe(breachClockId(incidentId));
    } else {
      await expect(env.client.workflow.getHandle(breachClockId(incidentId)).describe()).rejects.toThrow();
    }
  }
  // Measured from the drill itself: every approval and containment within the high targets.
  const credential = results.find((r) => r.runbook === 'credential-compromise')!;
  const measured = measureDrill(credential.state, await env.client.workflow.getHandle(credential.incidentId).query(timelineQuery));
  expect(measured.timings.filter((t) => t.what !== 'acknowledge').map((t) => [t.what, t.met])).toEqual([
    ['approval of revoke-key', true],
    ['containment', true],
  ]);
  const gated = results.flatMap((r) => r.state.steps.filter((s) => s.approvals.length > 0));
  expect(gated.length).toBeGreaterThanOrEqual(8);
  expect(gated.find((s) => s.id === 'revoke-key')!.plan!.join('\n')).toMatch(new RegExp(accessKeyId));
  expect(readsSent.length).toBeGreaterThan(0); // the planners read moto
  expect(writesSent).toEqual([]);
  expect(audit.events.filter((e) => e.what === 'aws.write')).toEqual([]);
  // AWS is as it was.
  const keys = await admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-drill' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active']);

  // Every Slack message about a drill says EXERCISE, in its text and first block.
  const sent = [...standin.callsOf('chat.postMessage'), ...standin.callsOf('chat.update')];
  expect(sent.length).toBeGreaterThanOrEqual(results.length * 2);
  for (const call of sent) {
    expect(String(call.args.text)).toMatch(/^EXERCISE: /);
    const blocks = (typeof call.args.blocks === 'string' ? JSON.parse(call.args.blocks) : call.args.blocks) as { elements?: { text: string }[] }[];
    expect(blocks[0]!.elements![0]!.text).toBe(EXERCISE_BANNER);
  }

  // Real listings never show exercises.
  const listed = await listIncidents(env.client);
  expect(listed.filter((i) => isExerciseId(i.id))).toEqual([]);
  expect((await env.client.workflow.count(visibility.incidentsWithStatus('contained'))).count).toBe(0);
  expect((await env.client.workflow.count(visibility.exercises())).count).toBe(shipped.length);

  // drill status: every shipped runbook drilled just now, of its current content: none is due.
  const { readRunbooks } = await import('../../runbooks');
  const current = readRunbooks(RUNBOOKS_DIR).runbooks.map((r) => ({ id: r.runbook.id, contentHash: r.contentHash }));
  const status = drillStatus(current, await exerciseRecords(env.client), new Date());
  expect(status.map((s) => [s.runbook, s.due, s.lastExercise?.incidentId])).toEqual(results.map((r) => [r.runbook, undefined, r.incidentId]).sort());
  // A changed runbook is due again.
  const changed = drillStatus(current.map((r) => (r.id === 'triage' ? { ...r, contentHash: 'edited' } : r)), await exerciseRecords(env.client), new Date());
  expect(changed.filter((s) => s.due)).toEqual([expect.objectContaining({ runbook: 'triage', due: 'changed since its last exercise' })]);

  for (const { incidentId } of results) {
    await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U-on1', 'resolve', incidentId, { groups: ['security-oncall'] }), reason: 'drill over' }] });
  }
});
