/**
 * Every AWS write on the ledger. Playbooks run as runbook steps against moto, with their deferred
 * writes (a key deletion after its grace, a block lifted at expiry) and an undo: each write AWS
 * accepted has exactly one ledger record (API, resource, before and after, incident, step, who
 * authorised it), each is reported by its step or timer and on the incident's timeline, and a
 * record cut from the ledger, the chain re-sealed around the cut, is still found missing.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { CreateIPSetCommand } from '@aws-sdk/client-wafv2';
import type { Notifier } from '../../activities';
import { chainLog, verifyAuditLog, type AuditRecord } from '../../activities/audit';
import { ledgerIdsOfText, writeCoverage } from '../../activities/audit/coverage';
import { deliverAlert } from '../../ingress/incidents';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import { BLOCK_EXPIRY_WORKFLOW, KEY_DELETION_WORKFLOW, UNDO_CONTAINMENT_WORKFLOW, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { anAlert } from '../support/alerts';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { prove, undoRequest } from '../support/decisions';
import { RUNBOOKS_DIR } from '../support/temporal';

jest.setTimeout(180_000);

const root = mkdtempSync(join(tmpdir(), 'tq-ledger-writes-'));
const ledgerPath = join(root, 'audit.log');
const ledger = chainLog({ path: ledgerPath });
const notifier: Notifier = { announce: async () => undefined, requestApproval: async () => undefined, targetMissed: async () => undefined, escalate: async () => undefined, post: async () => undefined };
let stack: PlaybookStack;

beforeAll(async () => {
  const runbooksDir = join(root, 'runbooks');
  mkdirSync(runbooksDir);
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(runbooksDir, 'triage.yaml'));
  stack = await playbookStack({}, { runbooksDir, notifier, audit: ledger });
  const set = await stack.admin.waf.send(new CreateIPSetCommand({ Name: 'ledger-edge', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: [] }));
  writeFileSync(
    join(runbooksDir, 'contain-briefly.yaml'),
    `id: contain-briefly
title: Contain, with short timers
match: [{ kinds: ["LedgerBrief*"] }]
steps:
  - id: revoke
    type: revokeCredentials
    with: { principal: "\${alert.subject.principal}", principalType: iam-user, deleteAfter: 3s }
  - id: block
    type: blockTraffic
    with: { cidrs: "\${alert.subject.ips}", duration: 3s, ipSet: { name: ledger-edge, id: "${set.Summary!.Id}", scope: REGIONAL } }
`,
  );
  writeFileSync(
    join(runbooksDir, 'contain-kept.yaml'),
    `id: contain-kept
title: Contain and keep the keys
match: [{ kinds: ["LedgerKept*"] }]
steps:
  - id: revoke
    type: revokeCredentials
    with: { principal: "\${alert.subject.principal}", principalType: iam-user, keep: true }
`,
  );
});
afterAll(async () => stack?.teardown());

const records = (): AuditRecord[] => readFileSync(ledgerPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
const writesOf = (incidentId: string) => records().filter((r) => r.what === 'aws.write' && r.why.incident === incidentId);
const awsWrites = (calls: string[]) => calls.filter((c) => /:(Update|Put|Delete|Create|Schedule|Cancel|Enable|Disable|Revoke)/.test(c));

async function user(name: string): Promise<string> {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: name }));
  return (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!;
}

test('each AWS write of a playbook, its deferred writes and its undo: one ledger record each, reported, on the timeline', async () => {
  await user('svc-ledger');
  const before = stack.calls.length;
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, anAlert({ kind: 'LedgerBrief', subject: { principal: 'svc-ledger', ips: ['203.0.113.77'] } }));
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const contained = await eventually(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained', 60_000);
  // The timers write later: the keys deleted after 3 s, the block lifted after 3 s.
  for (const type of [KEY_DELETION_WORKFLOW, BLOCK_EXPIRY_WORKFLOW]) {
    await eventually(
      async () => (await stack.env.client.workflow.count(`WorkflowType = '${type}' AND ExecutionStatus = 'Completed' AND WorkflowId STARTS_WITH '${type === KEY_DELETION_WORKFLOW ? 'key-deletion' : 'block-expiry'}/${incidentId.slice('incident/'.length)}/'`)).count,
      (n) => n === 1,
      `${type} done`,
    );
  }

  const written = writesOf(incidentId);
  const apis = written.map((r) => (r.details as { api: string }).api).sort();
  expect(apis).toEqual(['iam:DeleteAccessKey', 'iam:PutUserPolicy', 'iam:UpdateAccessKey', 'wafv2:UpdateIPSet', 'wafv2:UpdateIPSet']);
  // As many records as writes AWS was sent, and no id twice.
  expect(written).toHaveLength(awsWrites(stack.calls.slice(before)).length);
  expect(new Set(written.map((r) => r.id)).size).toBe(written.length);
  for (const r of written) {
    expect(r.details).toEqual(expect.objectContaining({ api: expect.any(String), resource: expect.stringMatching(/^arn:aws:/), approvedBy: [] }));
    // before → after: null where nothing was there (a new policy) or nothing is left (a deleted key)
    expect(r.details).toHaveProperty('before');
    expect(r.details).toHaveProperty('after');
    expect(r.why).toMatchObject({ incident: incidentId, step: expect.stringMatching(/^(revoke|block)$/), reason: expect.any(String) });
  }
  const deferred = written.filter((r) => ['iam:DeleteAccessKey'].includes((r.details as { api: string }).api));
  expect(deferred[0]!.why.reason).toMatch(/grace period over/);
  const lift = written.filter((r) => (r.details as { api: string; after: { entries: string[] } }).api === 'wafv2:UpdateIPSet').map((r) => r.details as { before: { entries: string[] }; after: { entries: string[] } });
  expect(lift).toEqual(expect.arrayContaining([{ ...lift[0], before: { entries: [] }, after: { entries: ['203.0.113.77/32'] } }, expect.objectContaining({ before: { entries: ['203.0.113.77/32'] }, after: { entries: [] } })]));

  // The steps report their writes, and the timeline shows each.
  expect(contained.steps.flatMap((s) => s.writes ?? []).length).toBe(3);
  const timeline = await handle.query(timelineQuery);
  expect(timeline.filter((e) => e.kind === 'aws.write')).toHaveLength(3);
  await handle.executeUpdate('resolve', { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('an undo writes on the ledger with who asked; a record cut from the ledger and the chain re-sealed is still found missing', async () => {
  await user('svc-kept');
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, anAlert({ kind: 'LedgerKept', subject: { principal: 'svc-kept' } }));
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const contained = await eventually(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained', 60_000);
  const undo = contained.steps[0]!.undo!;
  await stack.env.client.workflow.execute(UNDO_CONTAINMENT_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(incidentId, 'revoke'),
    args: [undoRequest('U-lead', incidentId, 'revoke', undo, 'the key was not leaked')],
  });
  const undone = await eventually(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'compensated', 'compensated');
  const reactivated = writesOf(incidentId).filter((r) => r.who === 'U-lead');
  expect(reactivated.map((r) => (r.details as { api: string; before: unknown; after: unknown })).map(({ api, before, after }) => ({ api, before, after }))).toEqual([
    { api: 'iam:UpdateAccessKey', before: { status: 'Inactive' }, after: { status: 'Active' } },
  ]);
  expect(reactivated[0]!.why.reason).toBe('undo: the key was not leaked');
  expect(undone.steps[0]!.writes).toEqual(expect.arrayContaining(reactivated.map((r) => r.id)));

  // Everything reported is on the ledger…
  const text = readFileSync(ledgerPath, 'utf8');
  const intact = await writeCoverage(stack.env.client, ledgerIdsOfText(text));
  expect(intact.reported).toBeGreaterThanOrEqual(4);
  expect(intact.missing).toEqual([]);

  // …then one write is cut out and the chain re-sealed around it: the chain verifies, coverage does not.
  const cut = reactivated[0]!.id;
  const resealedPath = join(root, 'resealed.log');
  const resealed = chainLog({ path: resealedPath });
  for (const { seq: _seq, prevHash: _prev, hash: _hash, ...event } of records().filter((r) => r.id !== cut)) await resealed.append(event);
  expect((await verifyAuditLog(resealedPath)).intact).toBe(true);
  const coverage = await writeCoverage(stack.env.client, ledgerIdsOfText(readFileSync(resealedPath, 'utf8')));
  expect(coverage.missing).toEqual([{ workflowId: incidentId, stepId: 'revoke', ledgerId: cut }]);
  await handle.executeUpdate('resolve', { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});
