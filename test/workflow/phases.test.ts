/**
 * After containment: a runbook's eradication and recovery phases on a real Temporal server and
 * worker. Each phase's steps run like containment steps (the eradication step waits for its
 * approval), then its checklist items wait for people to tick them off with a note; the incident
 * moves contained → eradicating → recovering → recovered, each move and tick on the record, and
 * MTTR counts to recovery. Resolving on the way ends the phases; bad ticks change nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { incidentTimes } from '../../domain/mttx';
import { parseRunbook, RunbookError } from '../../runbooks';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { approveUpdate, checkItemUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { isContainmentStep } from '../../ingress/mttx-query';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import { anAlert } from '../support/alerts';
import { prove, testGrants } from '../support/decisions';
import { httpTarget } from '../support/http-target';
import { waitFor } from '../support/runbooks';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { updateRefusal } from '../support/refusals';

jest.setTimeout(120_000);

const GROUPS = { responders: ['U1', 'U2'] };
const approveAs = testGrants(GROUPS);

let env: TestWorkflowEnvironment;
let config: Config;
let target: Awaited<ReturnType<typeof httpTarget>>;
let stopWorker: () => Promise<void>;
const audit = memoryAudit();

const phased = (url: string) => `id: phased
title: Contain, eradicate, recover
match: [{ kinds: ["Phased*"] }]
steps:
  - id: contain-it
    type: webhook
    with: { url: "${url}/contain" }
eradicate:
  - id: patch-host
    type: webhook
    with: { url: "${url}/eradicate" }
    approval: { group: responders, approvers: 1, timeout: 1h, finalTimeout: 1h }
recover:
  - id: restore-service
    type: webhook
    with: { url: "${url}/recover" }
checklist:
  - { id: root-cause-removed, phase: eradicate, text: The exploited library is upgraded everywhere }
  - { id: service-verified, phase: recover, text: Synthetic checks pass for an hour }
`;

beforeAll(async () => {
  target = await httpTarget();
  const dir = join(tmpdir(), `tq-phases-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'phased.yaml'), phased(target.url));
  writeFileSync(join(dir, 'triage.yaml'), 'id: triage\ntitle: t\npriority: -1000\nsteps:\n  - id: tell\n    type: notify\n    with: { text: triage }\n');
  config = testConfig({ runbooksDir: dir });
  env = await startDevServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir: dir, approverGroups: GROUPS, audit })))).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

const handleOf = (id: string) => env.client.workflow.getHandle(id);
const stateOf = (id: string) => handleOf(id).query(stateQuery);
const calls = (path: string) => target.requests.filter((r) => r.path === path).length;
const check = (id: string, itemId: string, note: string, by = 'U1', proofItem = itemId) =>
  handleOf(id).executeUpdate(checkItemUpdate, { args: [{ proof: prove(by, 'checklist.check', id, { subject: { itemId: proofItem } }), itemId, note }] });

test('contained → eradicating (its step approved) → its checklist → recovering → recovered; every move and tick on the record; MTTR counts to recovery', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'PhasedOne' }));
  const asked = await waitFor(() => stateOf(incidentId), (s) => s.steps.find((st) => st.id === 'patch-host')?.status === 'awaiting-approval', 'eradication step asks');
  expect(asked.status).toBe('eradicating');
  expect(calls('/contain')).toBe(1);
  expect(calls('/eradicate')).toBe(0);
  expect(asked.checklist?.map((i) => [i.id, i.phase, i.checkedAt])).toEqual([
    ['root-cause-removed', 'eradicate', undefined],
    ['service-verified', 'recover', undefined],
  ]);

  const step = asked.steps.find((st) => st.id === 'patch-host')!;
  await handleOf(incidentId).executeUpdate(approveUpdate, {
    args: [{ proof: approveAs('U2', 'approve', incidentId, { subject: { stepId: step.id, planHash: step.planHash! } }), stepId: step.id, justification: 'patch window now', planHash: step.planHash! }],
  });
  await waitFor(() => handleOf(incidentId).query(timelineQuery), (t) => t.some((e) => e.kind === 'checklist.waiting'), 'eradication checklist waits');
  expect(calls('/eradicate')).toBe(1);
  expect((await stateOf(incidentId)).status).toBe('eradicating');

  // Refused, and nothing changes: an unknown item, no note, a grant for another item.
  expect(await updateRefusal(check(incidentId, 'made-up', 'x'))).toBe('no checklist item made-up (items: root-cause-removed, service-verified)');
  expect(await updateRefusal(check(incidentId, 'root-cause-removed', '  '))).toBe('a checked item needs a note of what was done');
  expect(await updateRefusal(check(incidentId, 'root-cause-removed', 'done', 'U1', 'service-verified'))).toBe('proof is for itemId service-verified, not root-cause-removed');
  expect((await stateOf(incidentId)).checklist!.every((i) => !i.checkedAt)).toBe(true);

  // A recovery item may be ticked early; the eradication item moves the incident on.
  await check(incidentId, 'service-verified', 'synthetics green since 09:00', 'U2');
  expect((await stateOf(incidentId)).status).toBe('eradicating');
  await check(incidentId, 'root-cause-removed', 'library 2.4.1 on every host');
  expect(await updateRefusal(check(incidentId, 'root-cause-removed', 'again'))).toMatch(/^root-cause-removed was checked by U1 at /);
  const done = await waitFor(() => stateOf(incidentId), (s) => s.status === 'recovered', 'recovered');
  expect(calls('/recover')).toBe(1);
  expect(done.recoveredAt).toBeDefined();

  const timeline = await handleOf(incidentId).query(timelineQuery);
  expect(timeline.filter((e) => e.kind === 'incident.status').map((e) => e.message)).toEqual([
    'open → containing',
    'containing → contained',
    'contained → eradicating',
    'eradicating → recovering',
    'recovering → recovered',
  ]);
  const ticks = await waitFor(async () => audit.events.filter((e) => e.why.incident === incidentId && e.what === 'checklist.checked'), (t) => t.length === 2, 'ticks audited');
  expect(ticks.map((e) => [e.who, e.why.reason])).toEqual([
    ['U2', 'synthetics green since 09:00'],
    ['U1', 'library 2.4.1 on every host'],
  ]);
  expect(incidentTimes(done, isContainmentStep).mttr).toBe((Date.parse(done.recoveredAt!) - Date.parse(done.openedAt)) / 1000);

  await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'recovered and verified' }] });
  expect((await handleOf(incidentId).result()).status).toBe('resolved');
});

test('resolved during eradication: the waiting step is skipped, recovery never runs', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'PhasedTwo' }));
  await waitFor(() => stateOf(incidentId), (s) => s.steps.find((st) => st.id === 'patch-host')?.status === 'awaiting-approval', 'eradication step asks');
  const before = calls('/recover');
  await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'handled by hand' }] });
  const end = await handleOf(incidentId).result();
  expect(end.status).toBe('resolved');
  expect(end.steps.find((st: { id: string }) => st.id === 'patch-host')).toMatchObject({ status: 'skipped' });
  expect(end.steps.find((st: { id: string }) => st.id === 'restore-service')).toBeUndefined();
  expect(calls('/recover')).toBe(before);
  await expect(check(incidentId, 'root-cause-removed', 'late')).rejects.toThrow();
});

test('phases are validated like steps: one id across every section, one checklist item per id, a known phase', () => {
  const file = (body: string) => () => parseRunbook('p.yaml', `id: p\ntitle: p\nsteps:\n  - { id: a, type: notify, with: { text: x } }\n${body}`, STEP_TYPE_NAMES);
  const problems = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as RunbookError).problems.map((p) => `${p.field}: ${p.message}`);
    }
    return [];
  };
  expect(problems(file('eradicate:\n  - { id: a, type: notify, with: { text: y } }\n'))).toEqual(['eradicate.0.id: duplicate step id "a"']);
  expect(problems(file('checklist:\n  - { id: c, phase: recover, text: one }\n  - { id: c, phase: recover, text: two }\n'))).toEqual(['checklist.1.id: duplicate checklist item "c"']);
  expect(problems(file('checklist:\n  - { id: c, phase: lessons, text: one }\n'))).toEqual([expect.stringMatching(/^checklist\.0\.phase: /)]);
  expect(problems(file('recover:\n  - { id: b, type: nope }\n'))).toEqual([expect.stringMatching(/^recover\.0\.type: unknown step type "nope"/)]);
});
