/**
 * Each change reaches the incident's Slack message once. An incident its first step contains
 * (its contain target met in the same workflow task) posts its message and updates it once with
 * the contained state; before, the message was decided before the audit batch went out, the
 * target's change asked for one more, and most such incidents sent a third call to Slack. Real dev
 * server, real runbooks, the real Slack notifier against the stand-in, several incidents at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { stateQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { waitFor } from '../support/runbooks';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

const TOKEN = 'xoxb-messages-test';
let env: TestWorkflowEnvironment;
let config: Config;
let slack: SlackStandin;
let target: Awaited<ReturnType<typeof httpTarget>>;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  target = await httpTarget();
  slack = await slackStandin(TOKEN);
  const dir = join(tmpdir(), `tq-messages-runbooks-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'contain-at-once.yaml'),
    `id: contain-at-once
title: Contained by its first step
match: [{ kinds: ["MessageOnce"] }]
steps:
  - id: cut-off
    type: webhook
    with: { url: "${target.url}/contain", payload: { principal: "\${alert.subject.principal}" } }
`,
  );
  config = testConfig({ runbooksDir: dir });
  env = await startDevServer(config);
  const notifier = standinNotifier(slack, 'C0MESSAGES');
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir: dir, notifier, audit: memoryAudit() })))).stop;
}, 120_000);

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await slack?.close();
  await target?.close();
});

test('an incident contained by its first step posts its message once and updates it once, to the contained state', async () => {
  const ids = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => (await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'MessageOnce', subject: { principal: `svc-once-${i}` } }))).incidentId),
  );
  for (const id of ids) {
    const handle = env.client.workflow.getHandle(id);
    await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained' && s.targets?.some((t) => t.target === 'contain' && t.status === 'met') === true, `${id} contained`);
    // Settled: nothing left scheduled, twice in a row.
    let idle = 0;
    await waitFor(
      async () => ((await handle.describe()).raw.pendingActivities?.length ?? 0) === 0 ? ++idle : (idle = 0),
      (n) => n >= 2,
      `${id} settled`,
    );
  }
  for (const id of ids) {
    const posted = slack.callsOf('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks ?? '').includes(id));
    expect(posted).toHaveLength(1);
    const updates = slack.callsOf('chat.update').filter((c) => c.args.ts === posted[0]!.result!.ts);
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0]!.args.blocks)).toMatch(/contained/i);
  }
}, 120_000);
