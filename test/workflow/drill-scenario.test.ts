/**
 * Scenario drills, as a facilitator runs them: started through the real operator API (a signed-in
 * person, the drill.start authority), on a real Temporal server and worker, with the real Slack
 * notifier against the Slack stand-in. Each inject arrives on its timer: an alert inject is a
 * further alert of the same exercise incident, the others are told to responders marked EXERCISE;
 * each is on the audit log. A drill closed early skips what was left; injects never reach a real
 * incident.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { exerciseReportMarkdown, measureDrill } from '../../domain/exercise-report';
import { scenarioRunId } from '../../domain/ids';
import type { ScenarioProgress } from '../../domain/scenario';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import type { Config } from '../../platform/config';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import { scenarioProgressQuery } from '../../workflows/drill-scenario-definitions';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { waitFor } from '../support/runbooks';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(120_000);

const SLACK_TOKEN = 'xoxb-scenarios';
const TOKENS = { alice: newApiToken(), carol: newApiToken() };
const GROUPS = { 'security-oncall': ['alice'], 'security-leads': [] as string[] };

let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
const workerAudit = memoryAudit();
let activities: ReturnType<typeof createActivities>;

/** The triage runbook and two scenarios of it, timed in seconds so the test sees every inject. */
function runbooksWithScenarios(): string {
  const dir = join(tmpdir(), `tq-scenarios-${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, 'scenarios'), { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'scenarios', 'fast.yaml'),
    `id: triage-fast
title: Every kind of inject, a second apart
runbook: triage
severity: medium
subject: { principal: svc-first, principalType: iam-user }
injects:
  - { after: 1s, kind: alert, subject: { principal: svc-second }, severity: critical, text: a second service account now }
  - { after: 2s, kind: fact, text: The host serves the claims API. }
  - { after: 3s, kind: approver-unavailable, person: lead-on-leave }
  - { after: 4s, kind: slack-outage, for: 30m }
`,
  );
  writeFileSync(
    join(dir, 'scenarios', 'slow.yaml'),
    `id: triage-slow
title: The second inject comes after the drill is over
runbook: triage
injects:
  - { after: 1s, kind: fact, text: First inject. }
  - { after: 8s, kind: fact, text: Second inject. }
`,
  );
  return dir;
}

beforeAll(async () => {
  standin = await slackStandin(SLACK_TOKEN);
  config = testConfig({
    runbooksDir: runbooksWithScenarios(),
    people: { alice: { tokenHashes: [apiTokenHash(TOKENS.alice)] }, carol: { tokenHashes: [apiTokenHash(TOKENS.carol)] } },
    approverGroups: GROUPS,
  });
  env = await startDevServer(config);
  const notifier = standinNotifier(standin, 'C0SCENARIO', GROUPS);
  activities = createActivities(testActivityDeps({ runbooksDir: config.runbooksDir, audit: workerAudit, notifier, decisionKeys: stackDecisionKeys(config), approverGroups: GROUPS }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  ({ server: ingress } = await startIngress(env, config));
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await standin?.close();
});

async function post(path: string, token: string, body: unknown) {
  const res = await fetch(`${ingress.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const progressOf = (incidentId: string) => env.client.workflow.getHandle(scenarioRunId(incidentId)).query(scenarioProgressQuery);
const scenarioRuns = async () => (await env.client.workflow.count(`WorkflowId STARTS_WITH 'drill-scenario/'`)).count;

test('a scenario drill: each inject on its timer — a further alert of the same incident, the rest told in Slack marked EXERCISE — each audited; the report lists them', async () => {
  const refused = await post('/drills', TOKENS.carol, { runbook: 'triage-fast' });
  expect(refused.status).toBe(403);
  expect(await scenarioRuns()).toBe(0);

  const started = await post('/drills', TOKENS.alice, { runbook: 'triage-fast' });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ runbook: 'triage', scenario: 'triage-fast', exercise: true });
  const incidentId = String(started.body.incidentId);

  const done: ScenarioProgress = await env.client.workflow.getHandle(scenarioRunId(incidentId)).result();
  expect(done.injects.map((i) => [i.n, i.kind, i.status])).toEqual([
    [1, 'alert', 'delivered'],
    [2, 'fact', 'delivered'],
    [3, 'approver-unavailable', 'delivered'],
    [4, 'slack-outage', 'delivered'],
  ]);
  // Each came on its own timer, in order, a second or more apart.
  const times = done.injects.map((i) => Date.parse(i.at!));
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);

  // The alert inject is a further alert of the same incident, with its subject and severity.
  const state = await waitFor(() => env.client.workflow.getHandle(incidentId).query(stateQuery), (s) => s.alertCount === 2, 'inject alert attached');
  expect(state.runbook?.id).toBe('triage');
  expect(state.severity).toBe('critical');
  expect(state.alerts.map((a) => a.subject.principal)).toEqual(['svc-first', 'svc-second']);

  // Told in the incident's thread, marked EXERCISE, numbered, and saying what each inject means.
  const texts = standin.callsOf('chat.postMessage').map((c) => String(c.args.text));
  const injects = texts.filter((t) => t.includes('EXERCISE INJECT'));
  expect(injects).toHaveLength(4);
  for (const t of injects) expect(t).toMatch(/^EXERCISE/);
  expect(injects.find((t) => t.includes('2/4'))).toContain('The host serves the claims API.');
  expect(injects.find((t) => t.includes('3/4'))).toContain('lead-on-leave cannot be reached');
  expect(injects.find((t) => t.includes('4/4'))).toContain('Slack is unavailable for the next 30m');

  // On the audit log: who handed each inject out, to which drill, once each.
  const records = workerAudit.events.filter((e) => e.what === 'drill.inject' && e.correlationId === incidentId);
  expect(records.map((r) => [r.who, (r.details as { n: number }).n, (r.details as { kind: string }).kind])).toEqual([
    ['alice', 1, 'alert'],
    ['alice', 2, 'fact'],
    ['alice', 3, 'approver-unavailable'],
    ['alice', 4, 'slack-outage'],
  ]);
  expect(new Set(records.map((r) => r.id)).size).toBe(4);

  const timeline = await env.client.workflow.getHandle(incidentId).query(timelineQuery);
  const report = exerciseReportMarkdown(state, timeline, measureDrill(state, timeline), await progressOf(incidentId));
  expect(report).toContain('## Scenario');
  expect(report).toContain('Scenario `triage-fast`');
  expect(report).toMatch(/\| 4 \| 4s \| slack-outage \| delivered \|/);
});

test('a drill resolved before its last inject: what was left is skipped, not told', async () => {
  const started = await post('/drills', TOKENS.alice, { runbook: 'triage-slow' });
  const incidentId = String(started.body.incidentId);
  await waitFor(() => progressOf(incidentId), (p) => p.injects[0]!.status === 'delivered', 'first inject');
  const resolved = await post(`/incidents/${incidentId.replace('incident/', '')}/resolve`, TOKENS.alice, { reason: 'tabletop finished early' });
  expect(resolved.status).toBe(200);

  const done: ScenarioProgress = await env.client.workflow.getHandle(scenarioRunId(incidentId)).result();
  expect(done.injects.map((i) => [i.status, i.reason])).toEqual([
    ['delivered', undefined],
    ['skipped', 'the drill is resolved'],
  ]);
  const texts = standin.callsOf('chat.postMessage').map((c) => String(c.args.text));
  expect(texts.some((t) => t.includes('First inject.'))).toBe(true);
  expect(texts.some((t) => t.includes('Second inject.'))).toBe(false);
  expect(workerAudit.events.filter((e) => e.what === 'drill.inject' && e.correlationId === incidentId)).toHaveLength(1);
});

test('an inject for an incident that is not an exercise is refused before anything is read or told', async () => {
  const before = standin.calls.length;
  const real = new MockActivityEnvironment({ workflowExecution: { workflowId: 'drill-scenario/forged', runId: 'r1' } });
  const forged = {
    scenarioRunId: 'drill-scenario/forged',
    scenarioId: 'triage-fast',
    incidentId: 'incident/0123456789abcdef',
    facilitator: 'mallory',
    n: 1,
    total: 1,
    inject: { after: '1s', atMs: 1000, kind: 'fact' as const, text: 'Real responders, stand down.' },
  };
  await expect(real.run(activities.deliverInject, forged)).rejects.toMatchObject({ type: 'NotAnExercise', nonRetryable: true });
  expect(standin.calls.length).toBe(before);
  expect(workerAudit.events.filter((e) => e.who === 'mallory')).toEqual([]);
});
