/**
 * The operator API as an adversary meets it: real HTTP, a local OIDC issuer (a real JWKS over
 * HTTP, signed JWTs), per-user API tokens, a real Temporal dev server and worker. Nobody names
 * themselves; every refusal is a clear status and an audit record; raw Temporal access approves
 * nothing.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { RunningServer } from '../../ingress';
import { accessSettingsFrom, apiTokenHash, ingressIdentity, newApiToken, type IngressIdentity } from '../../ingress/identity';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { devServerExecutable } from '../../worker/temporal-cli';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import { BLOCK_EXPIRY_WORKFLOW, blockExpiryWorkflowId, blockStatusQuery } from '../../workflows/playbooks/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { stackDecisionKeys, startIngress } from '../support/ingress-stack';
import { oidcIssuer, type OidcIssuer } from '../support/oidc-issuer';
import { waitFor } from '../support/runbooks';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(120_000);

const TOKENS = { alice: newApiToken(), bob: newApiToken(), carol: newApiToken() };
const GROUPS = { 'security-oncall': ['alice', 'bob'], 'security-leads': ['bob'], 'privacy-officer': [] as string[] };

let env: TestWorkflowEnvironment;
let config: Config;
let idp: OidcIssuer;
let target: Awaited<ReturnType<typeof httpTarget>>;
let ingress: RunningServer;
let identity: IngressIdentity;
let stopWorker: () => Promise<void>;
const audit = memoryAudit();
const workerAudit = memoryAudit();

function runbooks(url: string): string {
  const dir = join(tmpdir(), `tq-api-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'gated-api.yaml'),
    `id: gated-api
title: A two-person gate
match: [{ kinds: ["GatedApi*"] }]
steps:
  - id: risky
    type: webhook
    with: { url: "${url}/risky" }
    approval: { group: security-oncall, approvers: 2, timeout: 1h, finalTimeout: 1h }
`,
  );
  return dir;
}

beforeAll(async () => {
  idp = await oidcIssuer();
  target = await httpTarget();
  config = testConfig({
    runbooksDir: runbooks(target.url),
    people: {
      alice: { email: 'alice@example.org', tokenHashes: [apiTokenHash(TOKENS.alice)] },
      bob: { tokenHashes: [apiTokenHash(TOKENS.bob)] },
      carol: { tokenHashes: [apiTokenHash(TOKENS.carol)] },
    },
    approverGroups: GROUPS,
    operators: { oidc: { issuer: idp.issuer, audience: 'tourniquet', algorithms: ['ES256'], clockToleranceSeconds: 5 } },
  });
  env = await startDevServer(config);
  const activities = createActivities(testActivityDeps({ runbooksDir: config.runbooksDir, audit: workerAudit, decisionKeys: stackDecisionKeys(config) }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  ({ server: ingress, identity } = await startIngress(env, config, audit));
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
  await idp?.close();
});

async function api(method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await fetch(`${ingress.url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
}

const post = (path: string, token: string | undefined, body: unknown = {}) => api('POST', path, token, body);
const fp = (incidentId: string) => incidentId.replace('incident/', '');
const stateOf = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);

async function gatedIncident(kind: string) {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind }));
  const state = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'awaiting-approval', `${kind} awaiting approval`);
  return { incidentId, planHash: state.steps[0]!.planHash! };
}

test('a token that is expired, wrongly signed, for another audience or from an unknown issuer is refused (401) and audited', async () => {
  const claims = { sub: 'idp-alice', preferred_username: 'alice' };
  const bad = {
    expired: await idp.token(claims, { expiresIn: -60 }),
    'wrongly signed': await idp.token(claims, { rogue: true }),
    'another audience': await idp.token(claims, { audience: 'some-other-app' }),
    'unknown issuer': await idp.token(claims, { issuer: 'https://idp.evil.example' }),
    'not yet valid': await idp.token(claims, { notBefore: 600 }),
    'unknown API token': newApiToken(),
    garbage: 'hello',
  };
  const reasons: Record<string, RegExp> = {
    expired: /expired/,
    'wrongly signed': /signature is not valid|not signed by a key/,
    'another audience': /aud claim/,
    'unknown issuer': /iss claim/,
    'not yet valid': /nbf claim/,
    'unknown API token': /unknown API token/,
    garbage: /neither an API token nor a JWT/,
  };
  for (const [name, token] of Object.entries(bad)) {
    const before = audit.events.length;
    const res = await api('GET', '/whoami', token);
    expect([name, res.status]).toEqual([name, 401]);
    expect(res.body.message).toMatch(reasons[name]!);
    expect(audit.events.slice(before)).toEqual([
      expect.objectContaining({ what: 'operator.signin.refused', who: 'unauthenticated', where: expect.stringMatching(/^api:/), why: { reason: expect.stringMatching(reasons[name]!) } }),
    ]);
  }
  expect((await api('GET', '/whoami', undefined)).status).toBe(401);
  // A refused token never reaches the record.
  const recorded = JSON.stringify(audit.events);
  for (const token of Object.values(bad)) expect(recorded).not.toContain(token);

  // The real thing: the person by username, by e-mail, and by API token, with their groups now.
  expect((await api('GET', '/whoami', await idp.token(claims))).body).toMatchObject({ person: 'alice', groups: ['security-oncall'], method: 'oidc' });
  expect((await api('GET', '/whoami', await idp.token({ sub: 'x-1', email: 'Alice@Example.org' }))).body).toMatchObject({ person: 'alice' });
  expect((await api('GET', '/whoami', TOKENS.bob)).body).toMatchObject({ person: 'bob', groups: ['security-leads', 'security-oncall'], method: 'api-token' });
  expect(audit.events).toContainEqual(expect.objectContaining({ what: 'operator.signin', who: 'bob', details: expect.objectContaining({ method: 'api-token' }) }));
  expect(idp.jwksRequests).toBeGreaterThanOrEqual(1);
});

test('with groupsFromToken, the identity provider says which groups a person is in', async () => {
  const oidc = { ...config.operators.oidc!, groupsFromToken: true };
  const fromToken = ingressIdentity({ ...config, operators: { oidc } }, memoryAudit());
  const operator = await fromToken.authenticate(`Bearer ${await idp.token({ sub: 's', preferred_username: 'carol', groups: ['security-oncall', 'x'] })}`, '127.0.0.1');
  expect(operator).toMatchObject({ person: 'carol', groups: ['security-oncall', 'x'], method: 'oidc' });
});

test('two people approve through the API; someone outside the group is refused (403) and audited', async () => {
  const { incidentId, planHash } = await gatedIncident('GatedApiTwo');
  const path = `/incidents/${fp(incidentId)}/steps/risky/approve`;

  const before = audit.events.length;
  const outsider = await post(path, TOKENS.carol, { justification: 'looks fine', planHash });
  expect(outsider.status).toBe(403);
  expect(outsider.body.message).toMatch(/carol is not in the approver group security-oncall/);
  expect(audit.events.slice(before)).toContainEqual(
    expect.objectContaining({ what: 'authz.denied', who: 'carol', where: expect.stringMatching(/^api:/), why: expect.objectContaining({ incident: incidentId, step: 'risky' }), details: expect.objectContaining({ action: 'approve' }) }),
  );
  expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([]);

  const missingPlan = await post(path, TOKENS.alice, { justification: 'x' });
  expect(missingPlan.status).toBe(400);
  const oidcAlice = await idp.token({ sub: 'idp-alice', preferred_username: 'alice' });
  expect(await post(path, oidcAlice, { justification: 'key is public', planHash })).toMatchObject({ status: 200, body: { by: 'alice', decisions: 1 } });
  // alice again, with her API token this time: one person, one decision.
  const again = await post(path, TOKENS.alice, { justification: 'me again', planHash });
  expect(again).toMatchObject({ status: 409, body: { message: expect.stringMatching(/alice has already decided/) } });
  expect(await post(path, TOKENS.bob, { justification: 'second pair of eyes', planHash })).toMatchObject({ status: 200, body: { by: 'bob' } });
  const done = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'step ran');
  expect(done.steps[0]!.approvals.map((a) => a.by)).toEqual(['alice', 'bob']);
  const timeline = await env.client.workflow.getHandle(incidentId).query(timelineQuery);
  expect(timeline.filter((t) => t.kind === 'approval.granted').map((t) => t.actor)).toEqual(['alice', 'bob']);
  const granted = await waitFor(async () => workerAudit.events.filter((e) => e.what === 'approval.granted' && e.why.incident === incidentId), (e) => e.length === 2, 'both audited');
  expect(granted.map((e) => [e.who, e.where])).toEqual([
    ['alice', expect.stringMatching(/^api:/)],
    ['bob', expect.stringMatching(/^api:/)],
  ]);
  expect((await post(`/incidents/${fp(incidentId)}/resolve`, TOKENS.bob, { reason: 'done' })).status).toBe(200);
});

test('resolve, undo and extending a block by someone outside the group are refused (403), audited, and change nothing', async () => {
  const { incidentId } = await gatedIncident('GatedApiOutsider');
  const before = await stateOf(incidentId);
  const attempts: [string, string, unknown][] = [
    ['resolve', `/incidents/${fp(incidentId)}/resolve`, { reason: 'mine now' }],
    ['undo', `/incidents/${fp(incidentId)}/steps/risky/undo`, { reason: 'roll it back' }],
    ['block.extend', `/blocks/${fp(incidentId)}/block-edge/extend`, { extendBy: '12h', reason: 'keep it' }],
    ['block.lift', `/blocks/${fp(incidentId)}/block-edge/lift`, { reason: 'let them in' }],
    ['key-deletion.cancel', `/key-deletions/${fp(incidentId)}/revoke/cancel`, { reason: 'keep the keys' }],
    ['step.skip', `/incidents/${fp(incidentId)}/steps/risky/skip`, { reason: 'skip it' }],
  ];
  for (const [action, path, body] of attempts) {
    const before = audit.events.length;
    const res = await post(path, TOKENS.carol, body);
    expect([action, res.status]).toEqual([action, 403]);
    expect(res.body.message).toMatch(new RegExp(`carol may not ${action.replace('.', '\\.')}`));
    expect(audit.events.slice(before)).toContainEqual(expect.objectContaining({ what: 'authz.denied', who: 'carol', details: expect.objectContaining({ action }) }));
  }
  const state = await stateOf(incidentId);
  expect(state.status).toBe(before.status);
  expect(state.steps).toEqual(before.steps);
  expect((await post(`/incidents/${fp(incidentId)}/resolve`, TOKENS.alice, { reason: 'false positive' })).body).toMatchObject({ status: 'resolved' });
});

test('a block is extended through the API with a grant the block checks; a forged extension is refused', async () => {
  const incidentId = 'incident/api-block';
  const workflowId = blockExpiryWorkflowId(incidentId, 'block-edge');
  const handle = await env.client.workflow.start(BLOCK_EXPIRY_WORKFLOW, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ ipSet: { name: 'edge', id: 'ipset-1', scope: 'REGIONAL' }, cidrs: ['203.0.113.9/32'], durationMs: 3_600_000 }],
  });
  const before = Date.parse((await waitFor(() => handle.query(blockStatusQuery).catch(() => undefined), (s) => s !== undefined))!.expiresAt);
  // A Temporal client naming someone is no extension.
  await expect(handle.executeUpdate('extendBlock', { args: [{ by: 'bob', extendBy: '12h', reason: 'raw' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/no proof/) },
  });
  const res = await post(`/blocks/${fp(incidentId)}/block-edge/extend`, TOKENS.bob, { extendBy: '12h', reason: 'still attacking' });
  expect(res.status).toBe(200);
  expect(res.body.extensions).toEqual([{ by: 'bob', extendBy: '12h', reason: 'still attacking' }]);
  expect(Date.parse(res.body.expiresAt as string) - before).toBe(12 * 3_600_000);
  await waitFor(async () => workerAudit.events.filter((e) => e.what === 'extendBlock.accepted' && e.correlationId === workflowId), (e) => e.length === 1 && e[0]!.who === 'bob' && e[0]!.where.startsWith('api:'), 'extension audited with its origin');
  // An unproven lift is ignored and kept on the record; the block holds.
  await handle.signal('liftBlock', { by: 'bob', reason: 'raw lift' });
  const status = await waitFor(() => handle.query(blockStatusQuery), (s) => (s.ignored ?? []).length > 0, 'ignored lift recorded');
  expect(status.lifted).toBeUndefined();
  expect(status.ignored![0]).toMatchObject({ signal: 'liftBlock', reason: expect.stringMatching(/no proof/) });
  await handle.terminate('test done');
});

test('someone removed from a group mid-incident can no longer approve (the configuration reloaded)', async () => {
  const { incidentId, planHash } = await gatedIncident('GatedApiRemoved');
  const path = `/incidents/${fp(incidentId)}/steps/risky/approve`;
  identity.directory.replace(accessSettingsFrom({ ...config, approverGroups: { ...GROUPS, 'security-oncall': ['bob'] } }));
  try {
    const res = await post(path, TOKENS.alice, { justification: 'still mine?', planHash });
    expect(res).toMatchObject({ status: 403, body: { message: expect.stringMatching(/alice is not in the approver group security-oncall/) } });
    expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([]);
  } finally {
    identity.directory.replace(accessSettingsFrom(config));
  }
  expect((await post(path, TOKENS.alice, { justification: 'back in the group', planHash })).status).toBe(200);
  expect((await post(`/incidents/${fp(incidentId)}/resolve`, TOKENS.alice, { reason: 'done' })).status).toBe(200);
});

test('a plaintext approve sent with the temporal CLI straight to the server is refused and changes nothing', async () => {
  const { incidentId, planHash } = await gatedIncident('GatedApiRaw');
  const cli = devServerExecutable();
  if (cli.type !== 'existing-path') throw new Error('the Temporal CLI binary is needed for this test');
  const temporal = (...args: string[]) =>
    promisify(execFile)(cli.path, [...args, '--address', env.address, '--namespace', 'default', '-w', incidentId, '--command-timeout', '30s'], { timeout: 60_000 });
  const input = JSON.stringify({ by: 'alice', stepId: 'risky', justification: 'raw access', planHash });
  const refused = await temporal('workflow', 'update', 'execute', '--name', 'approve', '--input', input).catch((err: { code: number; stderr: string }) => err);
  // Refused by the validator; its reason reaches only clients with the key (failures are encrypted too).
  expect(refused).toMatchObject({ code: expect.any(Number), stderr: expect.stringMatching(/unable to update workflow: Encoded failure/) });
  // A plaintext signal (which Temporal keeps in the history) is ignored and recorded, and the incident goes on.
  await temporal('workflow', 'signal', '--name', 'alert', '--input', JSON.stringify({ ...anAlert({ kind: 'GatedApiRaw' }), deliveryId: 'forged' }));
  const timeline = await waitFor(() => env.client.workflow.getHandle(incidentId).query(timelineQuery), (t) => t.some((e) => e.kind === 'signal.refused'), 'forged alert ignored');
  expect(timeline.filter((e) => e.kind === 'alert.attached')).toHaveLength(1);
  const state = await stateOf(incidentId);
  expect(state.alertCount).toBe(1);
  expect(state.steps[0]).toMatchObject({ status: 'awaiting-approval', approvals: [] });
  expect(target.requests.filter((r) => r.path === '/risky' && r.body.includes(incidentId))).toHaveLength(0);
  // The incident is unharmed: the real decision path still works.
  expect((await post(`/incidents/${fp(incidentId)}/steps/risky/approve`, TOKENS.alice, { justification: 'through the API', planHash })).status).toBe(200);
  expect((await stateOf(incidentId)).steps[0]!.approvals.map((a) => a.by)).toEqual(['alice']);
  expect((await post(`/incidents/${fp(incidentId)}/resolve`, TOKENS.alice, { reason: 'done' })).status).toBe(200);
});

test('a drill through the API: an outsider is refused (403, audited, nothing started), a bad subject is 400, a responder opens an EXERCISE incident that listings leave out', async () => {
  const before = audit.events.length;
  const refused = await post('/drills', TOKENS.carol, { runbook: 'triage' });
  expect(refused.status).toBe(403);
  expect(refused.body.message).toMatch(/carol may not drill.start: it needs a member of security-oncall or security-leads/);
  expect(audit.events.slice(before)).toContainEqual(expect.objectContaining({ what: 'authz.denied', who: 'carol', details: expect.objectContaining({ action: 'drill.start' }) }));
  const exercises = async () => (await env.client.workflow.count(`WorkflowId STARTS_WITH 'incident/exercise-'`)).count;
  expect(await exercises()).toBe(0);
  const bad = await post('/drills', TOKENS.alice, { runbook: 'triage', subject: { principal: 'a b; rm' } });
  expect(bad.status).toBe(400);
  expect(bad.body.message).toMatch(/subject\.principal/);
  const unknownField = await post('/drills', TOKENS.alice, { runbook: 'triage', subject: { secret: 'x' } });
  expect(unknownField.status).toBe(400);

  const started = await post('/drills', TOKENS.alice, { runbook: 'triage' });
  expect(started.status).toBe(201);
  const incidentId = String(started.body.incidentId);
  expect(incidentId).toMatch(/^incident\/exercise-[0-9a-f]{20}$/);
  const state = await waitFor(() => stateOf(incidentId), (s) => s.runbookDone === true, 'drill runbook done');
  expect(state.runbook?.id).toBe('triage');
  expect(state.requester).toBe('alice');
  const { listIncidents } = await import('../../ingress/read-model');
  expect((await listIncidents(env.client)).map((i) => i.id)).not.toContain(incidentId);
  expect(await exercises()).toBe(1);
});
