/**
 * The production topology on one machine: one Temporal server, PostgreSQL (the shared audit
 * ledger), moto (S3 with Object Lock for evidence and raw payloads, IAM), two worker processes and
 * two ingress processes, each process with a data directory and key directory of its own (no
 * shared disk: what one process needs from another goes through Temporal, PostgreSQL or S3).
 * Alerts go through both ingresses, approvals through either; one worker is killed (-9) while its
 * IAM call hangs; the other finishes the playbook. A third process then runs `audit verify` and
 * `evidence verify`. Run by test/integration/production-topology.test.ts and by
 * `scripts/production-topology` (which prints what happened).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify as toYaml } from 'yaml';
import { publicKeyPem } from '../../activities/audit/anchors';
import { createAwsClients } from '../../activities/aws';
import { evidenceStoreFor, getRawPayload } from '../../activities/evidence';
import { decisionPublicKey } from '../../domain/decision-proof';
import { apiTokenHash, newApiToken } from '../../ingress/identity/api-tokens';
import type { IncidentState } from '../../domain/incident';
import { parseConfig } from '../../platform/config';
import { newSigningKey, writeSigningKey } from '../../platform/decision-keys';
import { stepScopedId } from '../../domain/ids';
import { stateQuery } from '../../workflows/definitions';
import { GENERIC_SECRET, postSignedAlert } from './ingress-stack';
import { freePort, startMoto } from './moto';
import { asOwner, startPostgres } from './postgres';
import { waitFor } from './runbooks';
import { stallingProxy } from './stalling-proxy';
import { startDevServer, testConfig } from './temporal';
import { cliArgs } from './cli';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(__dirname, 'worker-process.ts');
const MAIN = join(ROOT, 'worker', 'main.ts');
const BUCKET = 'tq-evidence';
const TOKEN = newApiToken();

export interface TopologyResult {
  incidents: { id: string; status: string; revokeKey: string; keyStatus: string | undefined; alerts: number }[];
  /** a sender's id bound through one ingress, then reused for other content through the other */
  reusedId: { first: number; reusedElsewhere: number };
  /** the worker killed mid-playbook, and the one that finished it */
  killedWorker: number;
  survivor: number;
  /** rows in PostgreSQL: seq 1..n without a gap, each event id once */
  ledger: { rows: number; gapFree: boolean; duplicateIds: number; awsWrites: number; duplicateAwsWrites: number; writers: string[] };
  /** raw payloads each incident's alerts refer to, readable from the shared store by any process */
  rawPayloadsFound: number;
  rawPayloadsReferenced: number;
  auditVerify: { code: number; out: string };
  evidenceVerify: { code: number; out: string }[];
  seconds: number;
}

export type Child = { child: ChildProcess; output: () => string; name: string };

/** Spawned and listed in `children` at once, so a failure elsewhere still stops it. */
export function spawnProcess(children: Child[], name: string, args: string[], env: NodeJS.ProcessEnv, ready: (out: string) => boolean | Promise<boolean>): Promise<Child> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  children.push({ child, output: () => out, name });
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  return (async () => {
    for (let i = 0; !(await ready(out)); i++) {
      if (child.exitCode !== null || i > 1200) throw new Error(`${name} did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { child, output: () => out, name };
  })();
}

export async function runProductionTopology(say: (line: string) => void = () => undefined): Promise<TopologyResult> {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'tq-topology-'));
  const children: Child[] = [];
  const codecKeys = `k1:${randomBytes(32).toString('base64')}`;
  const clientConfig = testConfig({ codec: { keys: codecKeys }, temporal: { taskQueue: `topology-${process.pid}-${Date.now()}` } });
  // The services start side by side: each takes seconds on a busy machine.
  const [moto, pg, temporal] = await Promise.all([startMoto(), startPostgres(), startDevServer(clientConfig)]);
  // The one IAM call that hangs: the first deactivation of a leaked key, whichever worker makes it.
  const proxy = await stallingProxy(moto.endpoint, (body) => body.includes('Action=UpdateAccessKey'));
  try {
    say(`temporal ${temporal.address}, postgres 127.0.0.1:${pg.port}, moto ${moto.endpoint}`);
    const db = await pg.database('topology');
    const admin = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
    const s3 = new S3Client({ region: moto.region, endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));

    // Secrets an operator provisions once and hands to each process (a secrets manager, in production).
    const anchorKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ingressKeys = [newSigningKey(), newSigningKey()];
    const publicKeys = ingressKeys.map((k) => `${k.kid}:${decisionPublicKey(k.secretKey)}`).join(',');
    const settings = {
      sources: { generic: { hmacSecret: GENERIC_SECRET } },
      people: { alice: { tokenHashes: [apiTokenHash(TOKEN)] } },
      approverGroups: { 'security-oncall': ['alice'], 'security-leads': ['alice'] },
    };
    const settingsFile = join(root, 'tourniquet.yaml');
    writeFileSync(settingsFile, toYaml(settings));
    const shared: NodeJS.ProcessEnv = {
      ...process.env,
      TOURNIQUET_CONFIG: settingsFile,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: clientConfig.temporal.taskQueue,
      TOURNIQUET_CODEC_KEYS: codecKeys,
      TOURNIQUET_AUDIT_POSTGRES_URL: db.writerUrl,
      TOURNIQUET_EVIDENCE_S3_BUCKET: BUCKET,
      TOURNIQUET_EVIDENCE_RETENTION_DAYS: '1',
      TOURNIQUET_LOG_LEVEL: 'warn',
      AWS_REGION: moto.region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    delete shared.AWS_ENDPOINT_URL;
    /** A process's own directories, and its copy of the anchor key. */
    const own = (name: string): NodeJS.ProcessEnv => {
      const keys = join(root, name, 'keys');
      mkdirSync(keys, { recursive: true, mode: 0o700 });
      writeFileSync(join(keys, 'audit-anchor.key'), anchorKey, { mode: 0o600 });
      return { TOURNIQUET_DATA_DIR: join(root, name, 'data'), TOURNIQUET_KEY_DIR: keys, XDG_CONFIG_HOME: join(root, name, 'config') };
    };

    const workersStarting = Promise.all(
      ['worker-1', 'worker-2'].map((name) =>
        spawnProcess(children, name, [WORKER], { ...shared, ...own(name), TOURNIQUET_AWS_ENDPOINT: proxy.url, TOURNIQUET_DECISION_PUBLIC_KEYS: publicKeys }, (out) => out.includes('worker running')),
      ),
    );
    const ingressesStarting = Promise.all(
      ['ingress-1', 'ingress-2'].map(async (name, i) => {
        const env = own(name);
        const keyFile = join(env.TOURNIQUET_KEY_DIR!, 'decision-key.json');
        writeSigningKey(keyFile, ingressKeys[i]!);
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const child = await spawnProcess(
          children,
          name,
          [MAIN],
          { ...shared, ...env, TOURNIQUET_ROLE: 'ingress', TOURNIQUET_HOST: '127.0.0.1', TOURNIQUET_PORT: String(port), TOURNIQUET_DECISION_KEY_FILE: keyFile, TOURNIQUET_AWS_ENDPOINT: moto.endpoint },
          async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true,
        );
        return { ...child, url };
      }),
    );
    const [workers, ingresses] = await Promise.all([workersStarting, ingressesStarting]);
    say(`workers pid ${workers.map((w) => w.child.pid).join(', ')}; ingresses ${ingresses.map((i) => i.url).join(', ')}`);

    // Three leaked keys; each alert is delivered through both ingresses (a retry landing elsewhere).
    const leaks = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const user = `svc-topology-${n}`;
        await admin.iam.send(new CreateUserCommand({ UserName: user }));
        const key = (await admin.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
        return { user, key, fingerprint: `topology-${process.pid}-${Date.now()}-${n}` };
      }),
    );
    const ids: string[] = [];
    for (const [n, leak] of leaks.entries()) {
      const alert = { id: `leak-${leak.fingerprint}`, kind: 'LeakedAccessKey', severity: 'high', title: 'access key posted publicly', fingerprint: leak.fingerprint, subject: { principal: leak.user, principalType: 'iam-user', accessKeyId: leak.key } };
      const named = new Set<string>();
      for (const ingress of n % 2 === 0 ? ingresses : [...ingresses].reverse()) {
        const res = await postSignedAlert(ingress.url, alert);
        if (res.status !== 202) throw new Error(`${ingress.name} answered ${res.status}: ${await res.text()}`);
        for (const id of ((await res.json()) as { incidents: string[] }).incidents) named.add(id);
      }
      // Both deliveries name the one incident the fingerprint makes.
      if (named.size !== 1) throw new Error(`the two deliveries of one alert named ${[...named].join(', ')}`);
      ids.push(...named);
    }
    // A sender's id reused for other content is refused whichever ingress it reaches: the bindings are shared.
    const probe = { id: `probe-${process.pid}-${Date.now()}`, kind: 'TopologyProbe', severity: 'low', title: 'probe' };
    const probeFirst = await postSignedAlert(ingresses[0]!.url, probe);
    const probeReused = await postSignedAlert(ingresses[1]!.url, { ...probe, severity: 'critical' });
    const reusedId = { first: probeFirst.status, reusedElsewhere: probeReused.status };
    say(`an id reused with other content: ${reusedId.first} through ingress-1, then ${reusedId.reusedElsewhere} through ingress-2`);
    const state = (id: string) => temporal.client.workflow.getHandle(id).query(stateQuery);
    const step = (s: IncidentState, id: string) => s.steps.find((x) => x.id === id);
    for (const id of ids) await waitFor(() => state(id), (s) => step(s, 'revoke-key')?.status === 'awaiting-approval', `${id} awaiting approval`, 60_000);
    say('three incidents await approval of revoke-key');

    // Approvals through either ingress, as the operator API's clients (CLI, dashboard) send them.
    for (const [n, id] of ids.entries()) {
      const ingress = ingresses[n % 2]!;
      const planHash = step(await state(id), 'revoke-key')!.planHash!;
      const res = await fetch(`${ingress.url}/api/v1/incidents/${encodeURIComponent(id)}/steps/revoke-key/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ justification: 'key posted publicly', planHash }),
      });
      if (res.status !== 200) throw new Error(`approve through ${ingress.name}: ${res.status} ${await res.text()}`);
    }
    say('approved: incident 1 and 3 through ingress-1, incident 2 through ingress-2');

    // kill -9 the worker whose call hangs; the other takes the attempt over once heartbeats stop.
    // The held call names its key, so its incident's playbook names the worker that made it (any
    // other incident's deactivation may be in flight on either worker at the same moment).
    const heldCall = await proxy.stalled;
    const stalledAt = leaks.findIndex((l) => heldCall.includes(`AccessKeyId=${l.key}`));
    if (stalledAt < 0) throw new Error(`the held call names none of the leaked keys: ${heldCall}`);
    const playbook = temporal.client.workflow.getHandle(stepScopedId('playbook', ids[stalledAt]!, 'revoke-key'));
    const holder = await waitFor(
      async () => (await playbook.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'deactivateAccessKeys')?.lastWorkerIdentity ?? '',
      (identity) => identity !== '',
      'the stalled activity names its worker',
    );
    const victim = workers.find((w) => holder.startsWith(`${w.child.pid}@`));
    if (!victim) throw new Error(`no worker process is ${holder}`);
    const survivor = workers.find((w) => w !== victim)!;
    const exited = new Promise((r) => victim.child.once('exit', r));
    victim.child.kill('SIGKILL');
    await exited;
    say(`killed ${victim.name} (pid ${victim.child.pid}) in the middle of UpdateAccessKey`);

    const finals = await Promise.all(
      ids.map((id) =>
        waitFor(() => state(id), (s) => step(s, 'revoke-key')?.status === 'succeeded' && s.status === 'contained', `${id} contained`, 90_000).catch(async (err: Error) => {
          const s = await state(id);
          throw new Error(`${err.message}: status ${s.status}, steps ${s.steps.map((x) => `${x.id}=${x.status}${x.error ? ` (${x.error})` : ''}`).join(', ')}`);
        }),
      ),
    );
    say(`all three contained; ${survivor.name} finished the lost attempt`);

    // The ingresses stop cleanly (each anchors its tail); the surviving worker stays to answer the
    // coverage check's queries of running incidents.
    await Promise.all(
      ingresses.map((c) => {
        const exited = new Promise((r) => c.child.once('exit', r));
        c.child.kill('SIGTERM');
        return exited;
      }),
    );

    const keyStatus = await Promise.all(
      leaks.map(async (l) => (await admin.iam.send(new ListAccessKeysCommand({ UserName: l.user }))).AccessKeyMetadata?.find((k) => k.AccessKeyId === l.key)?.Status),
    );
    const { rows } = await asOwner(db.adminUrl, `SELECT seq, event_id, record FROM tourniquet_audit ORDER BY seq`);
    const records = rows.map((r) => JSON.parse(String(r.record)) as { id?: string; what: string; who: string; details?: { api?: string; resource?: string } });
    const eventIds = rows.flatMap((r) => (r.event_id ? [String(r.event_id)] : []));
    const writes = records.filter((r) => r.what === 'aws.write').map((r) => `${r.details?.api} ${r.details?.resource}`);

    // Raw payloads: what the ingresses received, read from the shared store by a process of neither.
    const store = evidenceStoreFor(parseConfig({ dataDir: join(root, 'reader'), codec: { keys: codecKeys }, evidence: { s3: { bucket: BUCKET } }, aws: { region: moto.region, endpoint: moto.endpoint } }));
    const refs = finals.flatMap((s) => s.alerts.map((a) => a.rawRef));
    const found = (await Promise.all(refs.map((ref) => getRawPayload(store, ref)))).filter((b) => b !== undefined).length;

    // The examiner: a third process, its own directories, the read-only role and the public key.
    const examiner = own('examiner');
    const pub = join(root, 'examiner', 'anchor.pub');
    writeFileSync(pub, publicKeyPem(join(root, 'worker-1', 'keys', 'audit-anchor.key')));
    const cliEnv = { ...shared, ...examiner, TOURNIQUET_AUDIT_POSTGRES_URL: db.readerUrl, TOURNIQUET_AUDIT_ANCHOR_PUBLIC_KEY: pub, TOURNIQUET_AUDIT_ANCHOR_KEY: join(root, 'examiner', 'none.key'), TOURNIQUET_AWS_ENDPOINT: moto.endpoint, TOURNIQUET_LOG_LEVEL: 'error' };
    const cli = async (...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env: cliEnv });
        return { code: 0, out: stdout };
      } catch (e) {
        const failed = e as { code: number; stdout: string; stderr: string };
        return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
      }
    };
    const auditVerify = await cli('audit', 'verify');
    const evidenceVerify = [];
    for (const id of ids) evidenceVerify.push(await cli('evidence', 'verify', id));

    return {
      incidents: finals.map((s, i) => ({ id: s.id, status: s.status, revokeKey: step(s, 'revoke-key')!.status, keyStatus: keyStatus[i], alerts: s.alerts.length })),
      reusedId,
      killedWorker: victim.child.pid!,
      survivor: survivor.child.pid!,
      ledger: {
        rows: rows.length,
        gapFree: rows.every((r, i) => Number(r.seq) === i + 1),
        duplicateIds: eventIds.length - new Set(eventIds).size,
        awsWrites: writes.length,
        duplicateAwsWrites: writes.length - new Set(writes).size,
        writers: [...new Set(records.map((r) => r.who.replace(/:\d+$/, '')))].sort(),
      },
      rawPayloadsFound: found,
      rawPayloadsReferenced: refs.length,
      auditVerify,
      evidenceVerify,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    for (const c of children) say(`--- ${c.name}\n${c.output().slice(-3000)}`);
    throw err;
  } finally {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await temporal.teardown();
    await proxy.close();
    await moto.stop();
    await pg.teardown();
    rmSync(root, { recursive: true, force: true });
  }
}
