/**
 * The review and its follow-ups from the command line, through the real operator API signed in
 * with each person's token: the authority table refuses a responder's finalise (exit 4, nothing
 * changed), the workflow refuses a closure without evidence, and the exported Markdown is the
 * stored final text, byte for byte.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { followUpId, reviewId } from '../../domain/ids';
import type { Config } from '../../platform/config';
import type { RunningServer } from '../../ingress';
import { apiTokenHash, newApiToken } from '../../ingress/identity';
import { followUpQuery } from '../../workflows/follow-up-definitions';
import { REVIEW_WORKFLOW, reviewQuery, type ReviewInput } from '../../workflows/review-definitions';
import type { ReviewView } from '../../domain/review';
import { waitFor } from '../support/runbooks';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { cliArgs } from '../support/cli';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let ingress: RunningServer;
const LEAD = newApiToken();
const RESPONDER = newApiToken();
const OWNER = newApiToken();

beforeAll(async () => {
  config = testConfig({
    temporal: { taskQueue: 'review-cli' },
    people: { lee: { tokenHashes: [apiTokenHash(LEAD)] }, rob: { tokenHashes: [apiTokenHash(RESPONDER)] }, olga: { tokenHashes: [apiTokenHash(OWNER)] } },
    approverGroups: { 'security-leads': ['lee'], 'security-oncall': ['rob'] },
  });
  env = await startDevServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ decisionKeys: stackDecisionKeys(config) })))).stop;
  ingress = (await startIngress(env, config, memoryAudit())).server;
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
});

async function cli(token: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_LOG_LEVEL: 'error', TOURNIQUET_URL: ingress.url, TOURNIQUET_TOKEN: token };
  try {
    const { stdout, stderr } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env: cliEnv });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

test('write, find, refuse, close and finalise a review from the CLI; export gives the stored text', async () => {
  const incidentId = `incident/cli-review-${Date.now().toString(36)}`;
  const id = reviewId(incidentId);
  const input: ReviewInput = { id, incidentId, severity: 'high', resolvedAt: new Date().toISOString(), owner: 'rob' };
  const review = await env.client.workflow.start(REVIEW_WORKFLOW, { taskQueue: config.temporal.taskQueue, workflowId: id, args: [input] });
  await waitFor(() => review.query(reviewQuery).catch(() => undefined), (v) => v?.status === 'open');

  const shown = await cli(RESPONDER, 'reviews', 'show', incidentId);
  expect(shown.code).toBe(0);
  expect(shown.out).toContain(`${id}  open`);

  // Refusals first: an outsider may not write it; a responder may not finalise it; no root cause yet.
  const outsider = await cli(OWNER, 'reviews', 'edit', id, '--root-cause', 'guess');
  expect(outsider.code).toBe(4);
  expect(outsider.err).toMatch(/may not review.edit/);
  const early = await cli(LEAD, 'reviews', 'finalise', id);
  expect(early.code).toBe(4);
  expect(early.err).toMatch(/root cause/);

  expect((await cli(RESPONDER, 'reviews', 'edit', id, '--root-cause', 'Stale allow-list', '--hurt', 'No owner for the WAF')).code).toBe(0);
  const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  const found = await cli(RESPONDER, 'reviews', 'finding', id, '--text', 'Give the WAF an owner', '--owner', 'olga', '--due', due);
  expect(found.code).toBe(0);
  const fid = followUpId(id, 'f1');
  expect(found.out).toContain(fid);
  const fu = env.client.workflow.getHandle(fid);
  await waitFor(() => fu.query(followUpQuery).catch(() => undefined), (v) => v?.status === 'open');

  const listed = await cli(RESPONDER, 'follow-ups', 'list');
  expect(listed.out).toMatch(new RegExp(`${due}.*open.*${fid.replace(/\//g, '\\/')}`));
  const responderFinalise = await cli(RESPONDER, 'reviews', 'finalise', id);
  expect(responderFinalise.code).toBe(4);
  expect(responderFinalise.err).toMatch(/may not review.finalise/);

  const noEvidence = await cli(OWNER, 'follow-ups', 'close', fid, '--evidence', ' ', '--note', 'done');
  expect(noEvidence.code).toBe(4);
  expect(noEvidence.err).toMatch(/needs evidence/);
  expect((await fu.query(followUpQuery)).status).toBe('open');
  const closed = await cli(OWNER, 'follow-ups', 'close', fid, '--evidence', 'CHANGE-1234', '--note', 'WAF owned by platform team');
  expect(closed.code).toBe(0);
  expect(closed.out).toMatch(/closed .* by olga; evidence CHANGE-1234/);

  const draft = await cli(RESPONDER, 'reviews', 'export', id);
  expect(draft.out).toMatch(/^> DRAFT/);
  const finalised = await cli(LEAD, 'reviews', 'finalise', id);
  expect(finalised.code).toBe(0);
  const view: ReviewView = await review.result();
  const exported = await cli(RESPONDER, 'reviews', 'export', id);
  expect(exported.out).toBe(view.final!.markdown);
  expect(exported.out).toContain('## Root cause\n\nStale allow-list');
  expect(exported.out).toContain(`| \`${fid}\` | Give the WAF an owner | olga | ${due} |`);
});
