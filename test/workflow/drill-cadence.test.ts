/**
 * The drill cadence on a real Temporal dev server, with the shipped runbooks and the real Slack
 * notifier talking to the Slack stand-in: the Schedule is created once however often a worker
 * starts, and its run flags every runbook never drilled and one whose file changed since its drill,
 * but not one drilled just now; each due runbook's owner is named and mentioned in the compliance
 * channel, and audited. `drill status` (the CLI, through the operator API for the finding) shows the
 * last drill, its result and the open findings.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { drillAlert } from '../../domain/exercise';
import { DRILL_CADENCE_SCHEDULE, followUpOf } from '../../domain/ids';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import { deliverAlert } from '../../ingress/incidents';
import { listWorkflows, visibility } from '../../ingress/read-model';
import type { Config } from '../../platform/config';
import { createDataConverter } from '../../platform/data-converter';
import { ensureDrillCadence } from '../../worker/drill-schedule';
import { stateQuery } from '../../workflows/definitions';
import { DRILL_CADENCE_WORKFLOW, type DrillCadence } from '../../workflows/drill-cadence-definitions';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { waitFor } from '../support/runbooks';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { cliArgs } from '../support/cli';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'xoxb-cadence';
const COMPLIANCE = 'C0COMPLIANCE';
const TOKENS = { alice: newApiToken(), carol: newApiToken() };
/** Slack members of the groups the shipped runbooks name as owners. */
const SLACK_GROUPS = { 'security-leads': ['U0LEAD1', 'U0LEAD2'], 'privacy-officer': ['U0PRIV'], 'security-oncall': ['U0ON1'] };

let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
let runbooksDir: string;
const audit = memoryAudit();

beforeAll(async () => {
  runbooksDir = join(tmpdir(), `tq-cadence-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(runbooksDir, { recursive: true });
  for (const f of readdirSync(RUNBOOKS_DIR).filter((n) => n.endsWith('.yaml'))) copyFileSync(join(RUNBOOKS_DIR, f), join(runbooksDir, f));
  standin = await slackStandin(TOKEN);
  config = testConfig({
    runbooksDir,
    temporal: { taskQueue: 'drill-cadence' },
    drills: { checkEvery: '1d', complianceChannel: COMPLIANCE },
    people: { alice: { tokenHashes: [apiTokenHash(TOKENS.alice)] }, carol: { tokenHashes: [apiTokenHash(TOKENS.carol)] } },
    approverGroups: { 'security-oncall': ['alice'] },
  });
  env = await startDevServer(config);
  const notifier = standinNotifier(standin, 'C0INCIDENTS', SLACK_GROUPS);
  const deps = testActivityDeps({ runbooksDir, notifier, audit, approverGroups: SLACK_GROUPS, drills: config.drills, decisionKeys: stackDecisionKeys(config) });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
  ingress = (await startIngress(env, config, memoryAudit())).server;
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await standin?.close();
});

async function cli(token: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cliEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TOURNIQUET_DATA_DIR: config.dataDir,
    TOURNIQUET_RUNBOOKS_DIR: runbooksDir,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TOURNIQUET_LOG_LEVEL: 'error',
    TOURNIQUET_URL: ingress.url,
    TOURNIQUET_TOKEN: token,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env: cliEnv });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

async function drill(runbook: string): Promise<string> {
  const { alert, incidentId } = drillAlert({ runbook, severity: 'high', subject: { service: 'cadence-svc' }, startedBy: 'alice', suffix: `cadence-${runbook}`, at: new Date().toISOString() });
  await deliverAlert(env.client, config.temporal.taskQueue, alert, 'alice');
  await waitFor(() => env.client.workflow.getHandle(incidentId).query(stateQuery), (s) => s.runbook?.id === runbook, `${runbook} drill pinned its runbook`);
  return incidentId;
}

test('the drill-cadence Schedule is created once; its run flags never-drilled and changed runbooks, not a fresh drill, and tells owners in the compliance channel', async () => {
  const shipped = readdirSync(runbooksDir).map((f) => f.replace(/\.yaml$/, '')).sort();
  const fresh = await drill('triage');
  const stale = await drill('vulnerable-dependency');
  await waitFor(() => listWorkflows(env.client, visibility.exercises()), (l) => l.length === 2, 'both drills listed');
  // The runbook is edited after its drill: the drill rehearsed content that is no longer the runbook.
  const file = join(runbooksDir, 'vulnerable-dependency.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: Upgrade a vulnerable dependency (new escalation path)'));

  // Created at every worker start, idempotently: one Schedule, updated in place when the interval changes.
  await ensureDrillCadence(env.client, config);
  await ensureDrillCadence(env.client, config);
  const schedules: string[] = [];
  for await (const s of env.client.schedule.list()) schedules.push(s.scheduleId);
  expect(schedules.filter((id) => id === DRILL_CADENCE_SCHEDULE)).toEqual([DRILL_CADENCE_SCHEDULE]);
  await ensureDrillCadence(env.client, { ...config, drills: { ...config.drills, checkEvery: '12h' } });
  const described = await env.client.schedule.getHandle(DRILL_CADENCE_SCHEDULE).describe();
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: DRILL_CADENCE_WORKFLOW, taskQueue: config.temporal.taskQueue });
  expect(described.spec.intervals?.map((i) => i.every)).toEqual([12 * 3_600_000]);

  // The Schedule's run, as it would start on its interval.
  await env.client.schedule.getHandle(DRILL_CADENCE_SCHEDULE).trigger();
  const [run] = await waitFor(() => listWorkflows(env.client, `WorkflowType = '${DRILL_CADENCE_WORKFLOW}' AND ExecutionStatus = 'Completed'`), (l) => l.length === 1, 'the cadence ran');
  const result: DrillCadence = await env.client.workflow.getHandle(run!.workflowId).result();
  expect(result.checked).toBe(shipped.length);
  const never = shipped.filter((r) => r !== 'triage' && r !== 'vulnerable-dependency');
  expect(result.due.map((d) => [d.runbook, d.due, d.lastExercise?.incidentId])).toEqual(
    shipped
      .filter((r) => r !== 'triage')
      .map((r) => (r === 'vulnerable-dependency' ? [r, 'changed since its last exercise', stale] : [r, 'never exercised', undefined])),
  );
  expect(result.due.find((d) => d.runbook === 'abnormal-phi-export')!.owner).toBe('privacy-officer');
  // Deterministic: its history replays against the workflow code (the files read were an activity's).
  const history = await env.client.workflow.getHandle(run!.workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE! }, dataConverter: createDataConverter(config) }, history);

  // One message per due runbook in the compliance channel: which runbook, why, its owner (mentioned), what to run.
  const told = standin.callsOf('chat.postMessage').filter((c) => c.args.channel === COMPLIANCE);
  expect(told).toHaveLength(never.length + 1);
  const byRunbook = (r: string) => told.map((c) => ({ text: String(c.args.text), blocks: JSON.stringify(c.args.blocks) })).filter((m) => m.text.includes(`runbook ${r} `));
  expect(byRunbook('triage')).toEqual([]);
  expect(byRunbook('vulnerable-dependency').map((m) => m.text)).toEqual([
    `Escalation: Drill due: runbook vulnerable-dependency (owner security-leads) is changed since its last exercise; last drilled ${new Date().toISOString().slice(0, 10)} (${stale}). npx tourniquet drill start vulnerable-dependency`,
  ]);
  expect(byRunbook('credential-compromise')[0]!.text).toMatch(/runbook credential-compromise \(owner security-leads\) is never exercised; never drilled\./);
  expect(byRunbook('credential-compromise')[0]!.blocks).toMatch(/<@U0LEAD1> <@U0LEAD2>/);
  expect(byRunbook('abnormal-phi-export')[0]!.blocks).toMatch(/<@U0PRIV>/);
  // Nothing about due drills goes to the incidents channel.
  expect(standin.callsOf('chat.postMessage').filter((c) => c.args.channel !== COMPLIANCE && String(c.args.text).includes('Drill due'))).toEqual([]);
  // Audited once per due runbook with the reason.
  const dueEvents = audit.events.filter((e) => e.what === 'drill.due');
  expect(dueEvents.map((e) => e.details!.runbook).sort()).toEqual(shipped.filter((r) => r !== 'triage'));
  expect(dueEvents.find((e) => e.details!.runbook === 'vulnerable-dependency')!.why.reason).toBe('changed since its last exercise');

  // A finding of the fresh drill, from the CLI through the operator API; an outsider's is refused.
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const outsider = await cli(TOKENS.carol, 'drill', 'finding', fresh, '--text', 'Triage page lacks the runbook link', '--owner', 'alice', '--due', due);
  expect([outsider.code, outsider.err]).toEqual([4, expect.stringMatching(/carol may not drill.finding/)]);
  const found = await cli(TOKENS.alice, 'drill', 'finding', fresh, '--text', 'Triage page lacks the runbook link', '--owner', 'alice', '--due', due);
  expect(found.code).toBe(0);
  const fid = found.out.trim().split(/\s+/)[0]!;
  expect(followUpOf(fid)?.origin).toBe(fresh);
  await waitFor(() => listWorkflows(env.client, visibility.openDrillFindings()), (l) => l.length === 1, 'the finding is listed');

  // drill status: last drill, result, open findings, and what is due.
  const status = await cli(TOKENS.alice, 'drill', 'status', '--json');
  expect(status.code).toBe(0);
  const rows = JSON.parse(status.out) as { runbook: string; owner?: string; due?: string; lastExercise?: { incidentId: string; passed?: boolean }; openFindings: string[] }[];
  expect(rows.map((r) => r.runbook)).toEqual(shipped);
  const triage = rows.find((r) => r.runbook === 'triage')!;
  expect([triage.due, triage.lastExercise?.incidentId, typeof triage.lastExercise?.passed, triage.openFindings, triage.owner]).toEqual([undefined, fresh, 'boolean', [fid], 'security-leads']);
  expect(rows.find((r) => r.runbook === 'vulnerable-dependency')).toMatchObject({ due: 'changed since its last exercise', openFindings: [] });
  const text = await cli(TOKENS.alice, 'drill', 'status');
  expect(text.out).toMatch(new RegExp(`^triage +security-leads +.*${fresh}  1 open finding\\n    ${fid}$`, 'm'));
  expect(text.out).toMatch(/^vulnerable-dependency +security-leads +.*DUE: changed since its last exercise$/m);
});
