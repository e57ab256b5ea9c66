/**
 * A worker killed (kill -9) while an RFC 7009 revocation is in flight: the application's endpoint
 * revoked the first token and its answer never came back. The worker runs as a child process
 * against a real Temporal dev server; the tokens are named by fingerprint and read back from the
 * sealed delivery in the evidence store. The attempt is retried on a second worker once the
 * heartbeats stop: it reads the tokens again, sends the first again (revoking a revoked token
 * answers 200, RFC 7009 §2.2), then the second, and no token is in either worker's output, the
 * ledger or the history.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readLedger } from '../../activities/audit/from-config';
import { putRawPayload } from '../../activities/evidence';
import { evidenceStoreFor } from '../../activities/evidence/from-config';
import { stepScopedId } from '../../domain/ids';
import type { RunbookStep } from '../../domain/runbook';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { stepInput } from '../support/aws-playbooks';
import { historyText } from '../support/history';
import { killAndReplace, lastAttempt, spawnWorker, workerProcessEnv } from '../support/lost-worker';
import { startDevServer, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const TOKENS = ['at-lost-worker-patient-portal-0001', 'rt-lost-worker-patient-portal-0002'];
const fingerprint = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;

let server: TestWorkflowEnvironment;
let endpoint: ReturnType<typeof createServer>;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.teardown();
  await new Promise((r) => endpoint?.close(r));
});

test('the retry after a lost worker reads the tokens again and revokes each; none is kept anywhere', async () => {
  // The application's revocation endpoint: the first request is revoked and then never answered.
  const received: string[] = [];
  let held: () => void;
  const holding = new Promise<void>((r) => (held = r));
  endpoint = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '');
      if (received.length === 1) return held();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const revocationEndpoint = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/oauth2/revoke`;

  const config = testConfig({ temporal: { taskQueue: `oauth-lost-${process.pid}-${Date.now()}` } });
  server = await startDevServer(config);
  // The delivery as the ingress stored it: sealed, in the store every worker reads.
  const delivery = JSON.stringify({ kind: 'LeakedToken', severity: 'high', title: 't', subject: { oauthTokens: { app: 'patient-portal', tokens: TOKENS } } });
  const rawRef = await putRawPayload(evidenceStoreFor(config), 'generic', Buffer.from(delivery));

  const file = join(config.dataDir, 'tourniquet.yaml');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ aws: { oauth: { 'patient-portal': { revocationEndpoint, clientId: 'tourniquet', clientSecret: 'portal-secret' } } } }));
  const workerEnv = workerProcessEnv(server, config, { TOURNIQUET_CONFIG: file });
  const first = await spawnWorker(workerEnv);
  children.push(first.child);

  const input = stepInput('revoke-tokens', { oauth: { app: 'patient-portal', fingerprints: TOKENS.map(fingerprint), rawRef } });
  const step: RunbookStep = { id: 'revoke-tokens', type: 'revokeCredentials', with: {}, timeout: '5m', retry: { maximumAttempts: 5, initialInterval: '1s' }, continueOnError: false };
  const workflowId = stepScopedId('playbook', input.incidentId, input.stepId);
  const handle = await server.client.workflow.start(revokeCredentialsWorkflow, { taskQueue: config.temporal.taskQueue, workflowId, args: [input, step] });

  await holding;
  const second = await killAndReplace(first, workerEnv, children);
  const outcome = await handle.result();

  expect(outcome.summary).toBe('2 OAuth token(s) of patient-portal revoked');
  expect(received).toEqual([TOKENS[0], TOKENS[0], TOKENS[1]]);
  const { events } = await handle.fetchHistory();
  expect(lastAttempt(events, 'revokeOAuthTokens')).toEqual({
    type: 'revokeOAuthTokens',
    attempt: 2,
    identity: expect.stringMatching(new RegExp(`^${second.child.pid}@`)),
    lastFailureTimeout: 'TIMEOUT_TYPE_HEARTBEAT',
    completed: true,
  });

  // On the ledger by fingerprint (each token once: the write is recorded when its answer came);
  // the tokens themselves nowhere.
  const ledger = (await readLedger(config)).text;
  const revoked = ledger.trimEnd().split('\n').map((line) => JSON.parse(line) as { what: string; details?: { api?: string; resource?: string } }).filter((r) => r.what === 'aws.write');
  expect(revoked.map((r) => r.details?.resource?.split('/').pop())).toEqual(TOKENS.map(fingerprint));
  const history = await historyText(server.client, config, workflowId);
  for (const token of TOKENS) {
    for (const text of [ledger, history, first.output(), second.output()]) expect(text).not.toContain(token);
  }
});
