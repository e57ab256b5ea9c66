/**
 * On a real Temporal dev server with AWS emulated by moto: a PHI-bearing alert opens an incident
 * whose runbook snapshots evidence (raw payload, read from the evidence store the ingress wrote it
 * to, state, timeline, approvals, IAM, KMS, WAF); the evidence is ciphertext on disk, owner-only,
 * with no subject in a file name, and verifies intact; the audit log chains; and what Temporal stores — read back through
 * the raw WorkflowService API, without the codec — holds no plaintext of the planted PHI marker,
 * while the codec endpoint decodes it for a caller with the token (or the session cookie a browser
 * gets by signing in with it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateIPSetCommand } from '@aws-sdk/client-wafv2';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chainLog, verifyAuditLog } from '../../activities/audit';
import { createAwsClients } from '../../activities/aws';
import { evidenceStoreFor, manifestAnchors, verifyIncidentEvidence } from '../../activities/evidence';
import { createActivities } from '../../activities';
import { codecRoutes } from '../../ingress/codec-route';
import { deliverAlert } from '../../ingress/incidents';
import { evidenceRawStore } from '../../ingress/raw-store';
import { parseConfig, type Config } from '../../platform/config';
import { payloadCodec } from '../../platform/data-converter';
import { stateQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { startMoto, type Moto } from '../support/moto';
import { cloudTrailEndpoint } from '../support/cloudtrail-endpoint';
import { recordCalls } from '../support/aws-playbooks';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { waitFor } from '../support/runbooks';
import { RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(120_000);

const MARKER = `PHIMARKER${randomBytes(6).toString('hex')}`;
const TOKEN = 'codec-endpoint-token-0123456789';
let env: TestWorkflowEnvironment;
let moto: Moto;
let cloudTrail: Awaited<ReturnType<typeof cloudTrailEndpoint>>;
const workerCalls: string[] = [];
let config: Config;
let stopWorker: () => Promise<void>;
let dataDir: string;
let accessKeyId: string;
let kmsKeyId: string;
const auditPath = () => join(dataDir, 'audit.log');
const digest = (subject: string) => createHash('sha256').update(subject).digest('hex').slice(0, 16);
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...filesUnder(join(dir, e.name))] : [join(dir, e.name)]));

function runbooks(): string {
  const dir = join(tmpdir(), `tq-evidence-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'phi-export.yaml'),
    `id: phi-export
title: Abnormal PHI export
match: [{ kinds: ["PhiExport"] }]
steps:
  - id: evidence-before
    type: snapshotEvidence
    with: { label: before }
`,
  );
  return dir;
}

beforeAll(async () => {
  moto = await startMoto();
  cloudTrail = await cloudTrailEndpoint([3]);
  const aws = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
  const workerAws = recordCalls(createAwsClients({ region: moto.region, endpoint: moto.endpoint }), workerCalls);
  cloudTrail.client.middlewareStack.add((next, context) => (args) => (workerCalls.push(`cloudtrail:${(context.commandName ?? '').replace(/Command$/, '')}`), next(args)), {
    step: 'initialize',
    name: 'recordCalls',
  });
  await aws.iam.send(new CreateUserCommand({ UserName: 'svc-export' }));
  accessKeyId = (await aws.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-export' }))).AccessKey!.AccessKeyId!;
  await aws.iam.send(
    new PutUserPolicyCommand({ UserName: 'svc-export', PolicyName: 'export', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }),
  );
  kmsKeyId = (await aws.kms.send(new CreateKeyCommand({ Description: 'phi bucket key' }))).KeyMetadata!.KeyId!;
  const ipSet = (await aws.waf.send(new CreateIPSetCommand({ Name: 'blocked', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['203.0.113.7/32'] }))).Summary!;

  dataDir = join(tmpdir(), `tq-evidence-wf-${process.pid}-${Date.now()}`);
  const runbooksDir = runbooks();
  // Two configured keys, the second active: a rotated deployment.
  const keys = `old:${randomBytes(32).toString('base64')},new:${randomBytes(32).toString('base64')}`;
  config = testConfig({ dataDir, runbooksDir, codec: { keys, activeKeyId: 'new' } });
  env = await startDevServer(config);
  const activities = createActivities(
    testActivityDeps({
      runbooksDir,
      aws: workerAws,
      awsSettings: { ...parseConfig({}).aws, wafIpSet: { name: ipSet.Name!, id: ipSet.Id!, scope: 'REGIONAL' } },
      evidence: { store: evidenceStoreFor(config), cloudTrail: cloudTrail.client, cloudTrailLookbackHours: 24 },
      audit: chainLog({ path: auditPath() }),
    }),
  );
  stopWorker = (await startWorker(env, config, activities)).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await moto?.stop();
  await cloudTrail?.close();
});

/** Every byte Temporal holds for a workflow, as its API returns them to a caller without the codec. */
async function storedHistory(workflowId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: env.namespace ?? 'default', execution: { workflowId }, nextPageToken });
    chunks.push(Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(page).finish()));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return Buffer.concat(chunks);
}

test('a PHI alert: evidence is snapshotted and verifies, and Temporal stores only ciphertext', async () => {
  const body = Buffer.from(JSON.stringify({ kind: 'PhiExport', patient: { name: MARKER, mrn: 'MRN 998877' }, rows: 1200 }));
  // The ingress writes raw payloads into the evidence store; the worker's snapshot reads them there.
  const rawRef = await evidenceRawStore(evidenceStoreFor(config)).put('generic', body);
  expect(rawRef).toMatch(/^raw\/generic\/[0-9a-f]{64}$/);
  const alert = anAlert({
    kind: 'PhiExport',
    title: `export of ${MARKER}`,
    labels: { patient: MARKER },
    subject: { principal: 'svc-export', accessKeyId, kmsKeyId },
    rawRef,
  });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert);
  const handle = env.client.workflow.getHandle(incidentId);
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.runbookDone === true || s.escalated);
  expect(state.steps).toEqual([expect.objectContaining({ id: 'evidence-before', status: 'succeeded', summary: expect.stringMatching(/^evidence \(before\): \d+ artifacts/) })]);
  expect(state.alerts[0]!.labels.patient).toBe(MARKER); // the client, with the codec, reads it back

  // Evidence: every artifact present, hashed, and intact; anchored in the audit log.
  const store = evidenceStoreFor(config);
  const anchors = await manifestAnchors(auditPath(), incidentId);
  expect(anchors.size).toBe(1);
  const check = await verifyIncidentEvidence(store, incidentId, anchors);
  expect(check.status).toBe('intact');
  const names = check.snapshots[0]!.artifacts.map((a) => a.name);
  expect(names).toEqual(
    expect.arrayContaining(['incident-state', 'incident-timeline', 'approvals', `raw-alert-${rawRef.split('/').pop()!.slice(0, 16)}`, `aws-iam-user-${digest('svc-export')}`, `aws-cloudtrail-${digest('svc-export')}`, `aws-kms-key-${digest(kmsKeyId)}`, 'aws-waf-ipset-blocked']),
  );
  // On disk: ciphertext only, owner-only, and no subject in any file name.
  const files = filesUnder(join(dataDir, 'evidence'));
  expect(files.length).toBeGreaterThan(8);
  for (const path of files) {
    expect(path).not.toContain('svc-export');
    expect(path).not.toContain(kmsKeyId);
    if (statSync(path).isDirectory()) expect(statSync(path).mode & 0o777).toBe(0o700);
    else {
      expect(statSync(path).mode & 0o777).toBe(0o400);
      const bytes = readFileSync(path);
      for (const text of [MARKER, 'svc-export', 'MRN 998877']) expect(bytes.includes(Buffer.from(text))).toBe(false);
    }
  }
  const artifact = async (name: string) => Buffer.from((await store.get(check.snapshots[0]!.artifacts.find((a) => a.name === name)!.key))!).toString();
  // `tourniquet iam-policy` (with CloudTrail on) grants every call the snapshot made.
  const granted = grantedActions(workerIamPolicy(parseConfig({}).aws, '*', { cloudTrail: true }));
  expect(workerCalls.length).toBeGreaterThan(5);
  expect(workerCalls.filter((c) => !granted.has(c))).toEqual([]);
  const trail = JSON.parse(await artifact(`aws-cloudtrail-${digest('svc-export')}`)) as { userName: string; events: unknown[] };
  expect(trail).toMatchObject({ userName: 'svc-export', events: [expect.anything(), expect.anything(), expect.anything()] });
  expect(cloudTrail.received[0]!.body.LookupAttributes).toEqual([{ AttributeKey: 'Username', AttributeValue: 'svc-export' }]);
  expect(JSON.parse(await artifact(`aws-iam-user-${digest('svc-export')}`))).toMatchObject({ exists: true, accessKeys: [expect.objectContaining({ AccessKeyId: accessKeyId, Status: 'Active' })], inlinePolicies: [expect.objectContaining({ name: 'export' })] });
  expect(JSON.parse(await artifact(`aws-kms-key-${digest(kmsKeyId)}`))).toMatchObject({ exists: true, metadata: expect.objectContaining({ KeyId: kmsKeyId }), policy: expect.any(String) });
  expect(JSON.parse(await artifact('aws-waf-ipset-blocked')).ipSet.Addresses).toEqual(['203.0.113.7/32']);
  expect(Buffer.from(await artifact(`raw-alert-${rawRef.split('/').pop()!.slice(0, 16)}`)).equals(body)).toBe(true);
  const manifest = JSON.parse(Buffer.from((await store.get(check.snapshots[0]!.manifestKey))!).toString());
  expect(manifest.custody).toMatchObject({ why: { incident: incidentId, step: 'evidence-before', label: 'before' }, workflow: { id: expect.stringMatching(/^playbook\//) } });

  // The audit log: one unbroken chain, and no PHI in it.
  expect(await verifyAuditLog(auditPath())).toMatchObject({ intact: true });
  const auditText = readFileSync(auditPath(), 'utf8');
  expect(auditText).toContain('evidence.snapshot');
  expect(auditText).not.toContain(MARKER);

  await handle.executeUpdate('resolve', { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: `closed; ${MARKER} notified` }] });
  await handle.result();

  // What the server stores: the incident and the playbook's histories, read without the codec.
  const child = manifest.custody.workflow.id as string;
  for (const workflowId of [incidentId, child]) {
    const stored = await storedHistory(workflowId);
    expect(stored.length).toBeGreaterThan(1000);
    expect(stored.includes(Buffer.from(MARKER))).toBe(false);
    expect(stored.includes(Buffer.from('binary/encrypted'))).toBe(true);
    expect(stored.includes(Buffer.from('svc-export'))).toBe(false); // not even non-PHI payload text
  }

  // The codec endpoint decodes the stored payload of the first signal for a caller with the token.
  const page = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: env.namespace ?? 'default', execution: { workflowId: incidentId } });
  const signalled = page.history!.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
  const asJson = {
    metadata: Object.fromEntries(Object.entries(signalled.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(signalled.data!).toString('base64'),
  };
  expect(Buffer.from(asJson.metadata['encryption-key-id']!, 'base64').toString()).toBe('new');
  const app = codecRoutes({ codec: payloadCodec(config), token: TOKEN, corsOrigins: ['http://localhost:8233'] });
  const post = (headers: Record<string, string>) =>
    app.request('/codec/decode', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [asJson] }) });
  expect((await post({})).status).toBe(401);
  expect((await post({ authorization: 'Bearer wrong-token-0123456789abcd' })).status).toBe(401);
  const decoded = await post({ authorization: `Bearer ${TOKEN}`, origin: 'http://localhost:8233', 'x-namespace': 'default' });
  expect(decoded.status).toBe(200);
  expect(decoded.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  const out = (await decoded.json()) as { payloads: { data: string }[] };
  expect(Buffer.from(out.payloads[0]!.data, 'base64').toString()).toContain(MARKER);
  // A codec without the active key fails loudly rather than passing ciphertext along.
  const stale = codecRoutes({ codec: payloadCodec(parseConfig({ dataDir, codec: { keys: `old:${randomBytes(32).toString('base64')}` } })), token: TOKEN, corsOrigins: [] });
  const refused = await stale.request('/codec/decode', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ payloads: [asJson] }) });
  expect(refused.status).toBe(422);
  expect(await refused.text()).toMatch(/key new, which is not configured/);
  // A browser signs in once with the token and gets a session cookie, which the UI sends instead.
  expect((await app.request('/codec/login')).status).toBe(200);
  const login = (token: string) =>
    app.request('/codec/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
  const refusedLogin = await login('wrong-token-0123456789abcd');
  expect(refusedLogin.status).toBe(401);
  expect(refusedLogin.headers.get('set-cookie')).toBeNull();
  const signedIn = await login(TOKEN);
  expect(signedIn.status).toBe(200);
  const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
  expect(signedIn.headers.get('set-cookie')).toMatch(/HttpOnly/);
  expect(cookie).not.toContain(TOKEN);
  const viaCookie = await post({ cookie, origin: 'http://localhost:8233' });
  expect(viaCookie.status).toBe(200);
  expect(Buffer.from(((await viaCookie.json()) as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString()).toContain(MARKER);
  // A cookie with its expiry moved, or signed under another token, is refused.
  const [expiry, mac] = cookie.split('=')[1]!.split('.');
  expect((await post({ cookie: `tourniquet_codec=${Number(expiry) + 1}.${mac}` })).status).toBe(401);
  const otherApp = codecRoutes({ codec: payloadCodec(config), token: 'another-token-0123456789', corsOrigins: [] });
  expect((await otherApp.request('/codec/decode', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ payloads: [asJson] }) })).status).toBe(401);
  // CORS preflight: answered for the UI origin only
  const preflight = await app.request('/codec/decode', { method: 'OPTIONS', headers: { origin: 'http://localhost:8233' } });
  expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
  const foreign = await app.request('/codec/decode', { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
});
