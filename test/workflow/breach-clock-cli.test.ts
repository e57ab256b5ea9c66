/**
 * Compliance staff record what happened to a breach clock from the command line: facts (deadlines
 * recomputed), a law-enforcement delay, notices sent, and the risk assessment. Each command goes
 * through the real operator API, signed in with the person's token: the authority table, then the
 * clock's own validator, refuse what they must (exit 4, nothing changed).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { Config } from '../../platform/config';
import { BREACH_CLOCK_WORKFLOW, breachClockId, clockQuery, type BreachClockInput, type ClockView } from '../../workflows/breach-clock-definitions';
import { stateQuery } from '../../workflows/definitions';
import { addCalendarDays } from '../../domain/hipaa';
import { deliverAlert } from '../../ingress/incidents';
import { anAlert } from '../support/alerts';
import { waitFor } from '../support/runbooks';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { cliArgs } from '../support/cli';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let ingress: RunningServer;
const audit = memoryAudit();
const PRIVACY_TOKEN = newApiToken();
const RESPONDER_TOKEN = newApiToken();

beforeAll(async () => {
  config = testConfig({
    temporal: { taskQueue: 'clock-cli' },
    people: { pat: { tokenHashes: [apiTokenHash(PRIVACY_TOKEN)] }, rob: { tokenHashes: [apiTokenHash(RESPONDER_TOKEN)] } },
    approverGroups: { 'privacy-officer': ['pat'], 'security-leads': ['rob'] },
  });
  env = await startDevServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ decisionKeys: stackDecisionKeys(config) })))).stop;
  ingress = (await startIngress(env, config, audit)).server;
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
});

/** The CLI as a user runs it, against the same server and data directory (codec key) as the worker. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWith(PRIVACY_TOKEN, ...args);
}

async function cliWith(token: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_LOG_LEVEL: 'error', TOURNIQUET_URL: ingress.url, TOURNIQUET_TOKEN: token };
  try {
    const { stdout, stderr } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env: cliEnv });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

test('facts, a refused delay, a notice and the risk assessment, recorded from the CLI', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const input: BreachClockInput = {
    id: `breach-clock/cli-${Date.now().toString(36)}`,
    incidentId: 'incident/cli',
    discoveredAt: today,
    facts: { affected: 40 },
    settings: { role: 'covered-entity', timeZone: 'UTC', reminderDays: [30, 14, 7, 3, 1], additional: [] },
  };
  const handle = await env.client.workflow.start(BREACH_CLOCK_WORKFLOW, { taskQueue: config.temporal.taskQueue, workflowId: input.id, args: [input] });

  const facts = await cli('clocks', 'record-facts', input.id, '--affected', '1200', '--state', 'CA=501', '--reason', 'export reviewed');
  expect(facts.code).toBe(0);
  expect(facts.out).toContain('media:CA');

  const badDelay = await cli('clocks', 'record-delay', input.id, '--form', 'written', '--stated-on', '2026-02-30', '--until', '2026-03-30', '--official', 'SA Doe', '--agency', 'FBI', '--reference', 'legal/l.pdf', );
  expect(badDelay.code).toBe(4);
  expect(badDelay.err).toMatch(/refused: statedOn must be a real calendar date/);
  expect((await handle.query(clockQuery)).facts.lawEnforcement).toEqual([]);

  const noProof = await cli('clocks', 'record-notice', input.id, '--obligation', 'individuals', '--sent-on', today, '--evidence', ' ');
  expect(noProof.code).toBe(4);
  expect(noProof.err).toMatch(/evidence/);

  const sent = await cli('clocks', 'record-notice', input.id, '--obligation', 'individuals', '--sent-on', today, '--evidence', 'letters/batch-1', '--json');
  expect(sent.code).toBe(0);
  const afterNotice = JSON.parse(sent.out) as ClockView;
  expect(afterNotice.obligations.find((o) => o.id === 'individuals')!.status).toBe('sent');
  expect(afterNotice.notices).toEqual([expect.objectContaining({ obligationId: 'individuals', sentOn: today, evidence: 'letters/batch-1', by: 'pat' })]);

  // A responder may record facts but not close the clock by assessment: refused (403), audited, nothing changes.
  const assessment = [
    '--nature-and-extent', 'names and claim numbers', '--unauthorized-person', 'a contractor under BAA',
    '--acquired-or-viewed', 'not opened (access logs)', '--mitigation', 'copy destroyed, attested',
    '--conclusion', 'low-probability-of-compromise', '--reference', 'legal/ra-1.pdf',
  ];
  const outsider = await cliWith(RESPONDER_TOKEN, 'clocks', 'record-assessment', input.id, ...assessment);
  expect(outsider.code).toBe(4);
  expect(outsider.err).toMatch(/refused: rob may not clock.assessment.close: it needs a member of privacy-officer/);
  expect((await handle.query(clockQuery)).status).not.toMatch(/closed/);
  expect(audit.events).toContainEqual(
    expect.objectContaining({ what: 'authz.denied', who: 'rob', where: expect.stringMatching(/^api:/), why: expect.objectContaining({ incident: input.id }), details: expect.objectContaining({ action: 'clock.assessment.close' }) }),
  );

  const assessed = await cli(
    'clocks', 'record-assessment', input.id,
    '--nature-and-extent', 'names and claim numbers', '--unauthorized-person', 'a contractor under BAA',
    '--acquired-or-viewed', 'not opened (access logs)', '--mitigation', 'copy destroyed, attested',
    '--conclusion', 'low-probability-of-compromise', '--reference', 'legal/ra-1.pdf', '--json',
  );
  expect(assessed.code).toBe(0);
  expect((JSON.parse(assessed.out) as ClockView).status).toBe('closed-no-notification');
  const closed = await handle.result();
  expect(closed.riskAssessment).toMatchObject({ conclusion: 'low-probability-of-compromise', reference: 'legal/ra-1.pdf', assessedBy: 'pat' });
  expect(closed.changes).toContainEqual(expect.objectContaining({ what: 'clock.risk-assessment', by: 'pat' }));

  // An unknown clock is refused, not crashed on.
  const unknown = await cli('clocks', 'record-notice', 'breach-clock/nope', '--obligation', 'hhs', '--sent-on', today, '--evidence', 'x');
  expect(unknown.code).toBe(3);
  expect(unknown.err).toMatch(/no such workflow/);
});

test('a privacy officer starts a clock on a triage incident and corrects its discovery; others are refused', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'OddAccessPattern' }));
  const incident = env.client.workflow.getHandle(incidentId);
  const openedAt = (await waitFor(() => incident.query(stateQuery), (s) => !!s.runbook)).openedAt;
  const clockId = breachClockId(incidentId);

  const refused = await cliWith(RESPONDER_TOKEN, 'clocks', 'start', incidentId, '--reason', 'PHI in the export');
  expect(refused.code).toBe(4);
  expect(refused.err).toMatch(/rob may not clock.start: it needs a member of privacy-officer/);
  const noIncident = await cli('clocks', 'start', 'incident/never-opened', '--reason', 'x');
  expect(noIncident.code).toBe(3);

  const started = await cli('clocks', 'start', incidentId, '--reason', 'triage found PHI in the export');
  expect(started.code).toBe(0);
  expect(started.out).toContain(`${clockId} started; discovery ${openedAt}`);
  const clock = env.client.workflow.getHandle(clockId);
  const view = await waitFor(() => clock.query(clockQuery).catch(() => undefined), (v) => !!v && v.changes.length > 0);
  expect(view!.changes[0]).toMatchObject({ what: 'clock.started', by: 'pat' });
  expect((await cli('clocks', 'start', incidentId, '--reason', 'again')).err).toMatch(/already running/);

  const today = openedAt.slice(0, 10);
  const earlier = addCalendarDays(today, -9);
  const byResponder = await cliWith(RESPONDER_TOKEN, 'clocks', 'correct-discovery', clockId, '--discovered', earlier, '--reason', 'ticket 88');
  expect(byResponder.code).toBe(4);
  expect(byResponder.err).toMatch(/may not clock.discovery/);
  const corrected = await cli('clocks', 'correct-discovery', incidentId, '--discovered', earlier, '--reason', 'ticket 88 reported it 9 days earlier', '--json');
  expect(corrected.code).toBe(0);
  const after = JSON.parse(corrected.out) as ClockView;
  expect(after.discoveryDate).toBe(earlier);
  expect(after.obligations.find((o) => o.id === 'individuals')!.deadline).toBe(addCalendarDays(earlier, 60));
  expect(after.changes.at(-1)).toMatchObject({ what: 'clock.discovery', by: 'pat' });
  const later = await cli('clocks', 'correct-discovery', incidentId, '--discovered', today, '--reason', 'undo');
  expect(later.code).toBe(4);
  expect(later.err).toMatch(/not later/);
});

test('a clock still reading its settings is shown as starting, not as missing', async () => {
  // A worker of its own whose settings read is held: its new clock cannot answer yet.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const activities = createActivities(testActivityDeps({ decisionKeys: stackDecisionKeys(config) }));
  const slow = { ...activities, clockSettings: async () => (await held, activities.clockSettings()) };
  const heldConfig: Config = { ...config, temporal: { ...config.temporal, taskQueue: 'clock-cli-held' } };
  const { stop } = await startWorker(env, heldConfig, slow);
  try {
    const id = `breach-clock/held-${Date.now().toString(36)}`;
    await env.client.workflow.start(BREACH_CLOCK_WORKFLOW, {
      taskQueue: heldConfig.temporal.taskQueue,
      workflowId: id,
      args: [{ id, incidentId: 'incident/held', discoveredAt: new Date().toISOString().slice(0, 10), facts: { affected: 3 } }],
    });
    const starting = await waitFor(() => cli('clocks', 'show', id), (r) => r.code === 3 && /does not answer yet/.test(r.err), 'the clock told as starting');
    expect(starting.err).toContain(`clock ${id} is running but does not answer yet: a new clock answers once it has read its settings`);
    expect(starting.err).not.toMatch(/no clock|Encoded failure/);
    release();
    const shown = await waitFor(() => cli('clocks', 'show', id), (r) => r.code === 0, 'the clock answering');
    expect(shown.out).toContain(`${id}  open`);
    const missing = await cli('clocks', 'show', 'incident/never-opened');
    expect(missing).toMatchObject({ code: 3, err: expect.stringMatching(/no clock breach-clock\/never-opened: workflow not found/) });
  } finally {
    release();
    await stop();
  }
});
