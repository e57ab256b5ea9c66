/**
 * Tokens of the API's own users, end to end with the shipped runbooks: a signed generic alert
 * carrying leaked OAuth tokens and naming a Cognito user (no AWS principal) reaches the real
 * ingress, selects `api-token-compromise`, and waits for approval with a plan that names the tokens
 * by fingerprint only; once approved, the tokens are read back from the sealed delivery and sent
 * to the application's RFC 7009 endpoint (a 503 retried), and the user is signed out in moto's
 * Cognito (its refresh token refused). Then no token is found in Temporal history (decrypted), the
 * incident, the ledger, or any file the system wrote. A delivery that is not in the store, and an
 * alert naming nothing to revoke, fail the step before anything is sent, and escalate.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import { createAwsClients } from '../../activities/aws';
import { evidenceStoreFor } from '../../activities/evidence/from-config';
import { stepScopedId } from '../../domain/ids';
import type { IncidentState } from '../../domain/incident';
import type { RunningServer } from '../../ingress';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { approveUpdate, stateQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { testGrants } from '../support/decisions';
import { historyText } from '../support/history';
import { portalPool, type PortalPool } from '../support/cognito';
import { httpTarget } from '../support/http-target';
import { postSignedAlert, stackDecisionKeys, stackSettings, startIngress } from '../support/ingress-stack';
import { startMoto, type Moto } from '../support/moto';
import { waitFor } from '../support/runbooks';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(180_000);

const TOKENS = ['eyJhbGciOiJSUzI1NiJ9.patient-portal-access.c2lnbmF0dXJl', 'rt-patient-portal-refresh-7f3a9c2e1b'];
const fingerprint = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const groups = { 'security-oncall': ['U1'], 'security-leads': ['U7'] };
const prove = testGrants(groups);

let moto: Moto;
let env: TestWorkflowEnvironment;
let config: Config;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
let oauth: Awaited<ReturnType<typeof httpTarget>>;
let portal: PortalPool;
let pool: string;
let refreshToken: string;
const audit = memoryAudit();
const escalations: Escalation[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined,
  escalate: async (e) => void escalations.push(e),
  post: async () => undefined,
};
// The first revocation answers 503 (RFC 7009 §2.2.1: try again later); the rest 200.
let answered = 0;

beforeAll(async () => {
  moto = await startMoto();
  oauth = await httpTarget(() => (answered++ === 0 ? 503 : 200));
  config = testConfig({
    ...stackSettings(),
    approverGroups: groups,
    aws: {
      region: moto.region,
      endpoint: moto.endpoint,
      oauth: { 'patient-portal': { revocationEndpoint: `${oauth.url}/oauth2/revoke`, clientId: 'tourniquet', clientSecret: 'portal-client-secret' } },
    },
  });
  env = await startDevServer(config);
  const aws = createAwsClients(config.aws);
  const deps = testActivityDeps({
    aws,
    awsSettings: config.aws,
    notifier,
    audit,
    approverGroups: groups,
    decisionKeys: stackDecisionKeys(config),
    evidence: { store: evidenceStoreFor(config), cloudTrailLookbackHours: 24 },
  });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
  ({ server: ingress } = await startIngress(env, config));

  // A patient-portal user who is signed in: a refresh token that works until the sign-out.
  portal = await portalPool(aws.cognito);
  pool = portal.userPoolId;
  refreshToken = await portal.signedInUser('pat-0042');
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await oauth?.close();
  await moto?.stop();
});

const state = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);
const stepOf = (s: IncidentState, id: string) => s.steps.find((st) => st.id === id);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

test('leaked OAuth tokens and a Cognito user, no AWS principal: planned by fingerprint, revoked once approved, no token kept anywhere but the sealed delivery', async () => {
  const res = await postSignedAlert(ingress.url, {
    kind: 'LeakedToken',
    severity: 'high',
    title: 'Patient-portal tokens pasted in a support ticket',
    subject: { oauthTokens: { app: 'patient-portal', tokens: TOKENS }, cognitoUser: { userPoolId: pool, username: 'pat-0042' } },
  });
  expect(res.status).toBe(202);
  const [id] = ((await res.json()) as { incidents: string[] }).incidents;

  const asked = await waitFor(() => state(id!), (s) => stepOf(s, 'revoke-tokens')?.status === 'awaiting-approval', 'asked for approval');
  expect(asked.runbook?.id).toBe('api-token-compromise');
  expect(asked.alerts[0]!.subject.oauthTokens).toEqual({ app: 'patient-portal', fingerprints: TOKENS.map(fingerprint), rawRef: asked.alerts[0]!.rawRef });
  const plan = stepOf(asked, 'revoke-tokens')!.plan!;
  expect(plan).toEqual(
    expect.arrayContaining([
      `revoke 2 OAuth token(s) of patient-portal at ${new URL(oauth.url).host}: ${TOKENS.map(fingerprint).join(', ')}`,
      expect.stringContaining(`sign out Cognito user pat-0042 of user pool ${pool} everywhere`),
      'no AWS principal is named: nothing in IAM changes',
    ]),
  );
  expect(oauth.requests).toEqual([]);

  const planHash = stepOf(asked, 'revoke-tokens')!.planHash!;
  await env.client.workflow.getHandle(id!).executeUpdate(approveUpdate, {
    args: [{ proof: prove('U1', 'approve', id!, { subject: { stepId: 'revoke-tokens', planHash } }), stepId: 'revoke-tokens', justification: 'tokens are in a ticket', planHash }],
  });
  const done = await waitFor(() => state(id!), (s) => stepOf(s, 'revoke-tokens')?.status === 'succeeded', 'revoked', 60_000);
  expect(stepOf(done, 'revoke-tokens')!.summary).toContain('2 OAuth token(s) of patient-portal revoked');

  // RFC 7009: form-encoded token, client authenticated with HTTP Basic; the 503 was tried again.
  const revocations = oauth.requests.filter((r) => r.path === '/oauth2/revoke');
  expect(revocations.map((r) => new URLSearchParams(r.body).get('token'))).toEqual([TOKENS[0], TOKENS[0], TOKENS[1]]);
  expect(new Set(revocations.map((r) => r.headers.authorization))).toEqual(new Set([`Basic ${Buffer.from('tourniquet:portal-client-secret').toString('base64')}`]));
  expect(revocations[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  // The user is signed out: the refresh token no longer works.
  await expect(portal.refresh(refreshToken)).rejects.toMatchObject({ name: 'NotAuthorizedException' });

  // On the ledger by fingerprint, once per token.
  const writes = audit.events.filter((e) => e.what === 'aws.write' && JSON.stringify(e).includes('oauth:revoke'));
  expect(writes.map((e) => JSON.stringify(e).match(/sha256:[0-9a-f]{12}/)?.[0])).toEqual(TOKENS.map(fingerprint));

  // Nowhere else: Temporal history (payloads decrypted), the incident, the ledger, every file written.
  const searched = [
    await historyText(env.client, config, id!),
    await historyText(env.client, config, stepScopedId('playbook', id!, 'revoke-tokens')),
    JSON.stringify(done),
    JSON.stringify(audit.events),
    ...filesUnder(config.dataDir).filter((f) => statSync(f).isFile()).map((f) => readFileSync(f).toString('latin1')),
  ];
  expect(searched[0]).toContain(fingerprint(TOKENS[0]!));
  for (const token of TOKENS) {
    for (const text of searched) expect(text.includes(token) || text.includes(Buffer.from(token).toString('base64'))).toBe(false);
  }
});

test('an AWS key alert that also names tokens: credential-compromise plans both', async () => {
  const res = await postSignedAlert(ingress.url, {
    kind: 'LeakedAccessKey',
    severity: 'high',
    title: 'Key and portal token in one paste',
    subject: { principal: 'svc-portal-missing', accessKeyId: 'AKIAPORTALMISSING001', oauthTokens: { app: 'patient-portal', tokens: ['rt-in-the-same-paste-0001'] } },
  });
  expect(res.status).toBe(202);
  const [id] = ((await res.json()) as { incidents: string[] }).incidents;
  // The user is not in the account: the step fails on that, before a token is sent.
  const failed = await waitFor(() => state(id!), (s) => stepOf(s, 'revoke-key')?.status === 'failed', 'failed on the principal');
  expect(failed.runbook?.id).toBe('credential-compromise');
  expect(stepOf(failed, 'revoke-key')!.error).toMatch(/svc-portal-missing/);
  expect(oauth.requests.filter((r) => r.body.includes('rt-in-the-same-paste-0001'))).toEqual([]);
});

test('a delivery that is not in the store, or an alert naming nothing to revoke: the step fails before anything is sent, and escalates', async () => {
  const before = oauth.requests.length;
  const lost = anAlert({
    kind: 'TokenMisuse',
    subject: { oauthTokens: { app: 'patient-portal', fingerprints: ['sha256:0123456789ab'], rawRef: `raw/generic/${'0'.repeat(64)}` } },
  });
  const { incidentId: lostId } = await deliverAlert(env.client, config.temporal.taskQueue, lost);
  const nothing = anAlert({ kind: 'AccountTakeover', subject: { service: 'patient-portal' } });
  const { incidentId: nothingId } = await deliverAlert(env.client, config.temporal.taskQueue, nothing);

  const a = await waitFor(() => state(lostId), (s) => stepOf(s, 'revoke-tokens')?.status === 'failed', 'failed: not stored');
  expect(stepOf(a, 'revoke-tokens')!.error).toBe(`the stored alert raw/generic/${'0'.repeat(64)} is not in the evidence store; no token was revoked`);
  const b = await waitFor(() => state(nothingId), (s) => stepOf(s, 'revoke-tokens')?.status === 'failed', 'failed: nothing named');
  expect(stepOf(b, 'revoke-tokens')!.error).toMatch(/names no principal, OAuth tokens or Cognito user, so there is nothing to revoke; nothing was changed/);
  expect(oauth.requests.length).toBe(before);
  await waitFor(
    async () => escalations.filter((e) => [lostId, nothingId].includes(e.incidentId)),
    (found) => found.length === 2,
    'each escalated once',
  );
});
