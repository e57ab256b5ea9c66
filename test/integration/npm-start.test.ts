/**
 * The whole product as `npm start` runs it: embedded Temporal dev server (SQLite under the data
 * directory, UI on), worker and ingress in one process. An alert sent to it shows up in
 * `tourniquet incidents list` and in the Temporal UI (which decodes payloads through the ingress's
 * codec endpoint), and survives a restart. Against an existing cluster it checks the namespace's
 * search attributes first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { msToTs } from '@temporalio/common/lib/time';
import { missingSearchAttributes } from '../../platform/search-attributes';
import { waitFor } from '../support/runbooks';
import { startDevServer, testConfig } from '../support/temporal';
import { cliArgs } from '../support/cli';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let env: NodeJS.ProcessEnv;
let ingressUrl: string;
let uiPort: number;
const CODEC_TOKEN = 'ui-codec-token-0123456789';

async function start(withEnv: NodeJS.ProcessEnv = env): Promise<{ child: ChildProcess; logs: () => string }> {
  const child = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: ROOT, env: withEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  for (let i = 0; !out.includes('ingress listening'); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, logs: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env });
  return stdout;
}

beforeAll(async () => {
  const [port, temporalPort] = [await freePort(), await freePort()];
  uiPort = await freePort();
  env = {
    ...process.env,
    TOURNIQUET_DATA_DIR: mkdtempSync(join(tmpdir(), 'tq-start-')),
    TOURNIQUET_PORT: String(port),
    TOURNIQUET_TEMPORAL_PORT: String(temporalPort),
    TOURNIQUET_TEMPORAL_UI_PORT: String(uiPort),
    TOURNIQUET_LOG_LEVEL: 'info',
    TOURNIQUET_CODEC_ENDPOINT_TOKEN: CODEC_TOKEN,
  };
  delete env.TEMPORAL_ADDRESS;
  ingressUrl = `http://127.0.0.1:${port}`;
});

test('an alert sent to npm start shows in the CLI and the Temporal UI, and survives a restart', async () => {
  let running = await start();
  expect(running.logs()).toContain(`UI at http://127.0.0.1:${uiPort}`);
  expect((await fetch(`${ingressUrl}/readyz`)).status).toBe(200);

  const response = await fetch(`${ingressUrl}/alerts/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'StartCheck', severity: 'high', title: 'npm start check', subject: { principal: 'svc-a' } }),
  });
  expect(response.status).toBe(202);
  const { incidents } = (await response.json()) as { incidents: string[] };
  expect(incidents).toHaveLength(1);

  let listed: { id: string; status: string }[] = [];
  for (let i = 0; i < 100 && !listed.some((r) => r.id === incidents[0] && r.status === 'open'); i++) {
    listed = JSON.parse(await cli('incidents', 'list', '--json'));
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(listed).toContainEqual(expect.objectContaining({ id: incidents[0], status: 'open' }));
  const shown = await cli('incidents', 'show', incidents[0]!);
  expect(shown).toContain('triage');
  expect(shown).toContain('incident.opened');

  // The Temporal UI serves the same workflow through its API.
  const ui = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows/${encodeURIComponent(incidents[0]!)}`);
  expect(ui.status).toBe(200);
  expect(await ui.text()).toContain('incidentWorkflow');

  // The UI is pointed at the ingress's codec endpoint; a browser signed in there decodes what the
  // UI shows (the stored payloads are ciphertext).
  const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
  expect(settings.Codec.Endpoint).toBe(`${ingressUrl}/codec`);
  const history = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows/${encodeURIComponent(incidents[0]!)}/history`)).json()) as {
    history: { events: { workflowExecutionSignaledEventAttributes?: { input: { payloads: unknown[] } } }[] };
  };
  const signalled = history.history.events.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes!.input.payloads;
  expect(JSON.stringify(signalled)).not.toContain('svc-a');
  const login = await fetch(`${ingressUrl}/codec/login`, { method: 'POST', body: new URLSearchParams({ token: CODEC_TOKEN }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const decoded = await fetch(`${ingressUrl}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: `http://127.0.0.1:${uiPort}` },
    body: JSON.stringify({ payloads: signalled }),
  });
  expect(decoded.status).toBe(200);
  expect(decoded.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${uiPort}`);
  const plain = ((await decoded.json()) as { payloads: { data: string }[] }).payloads.map((p) => Buffer.from(p.data, 'base64').toString());
  expect(plain.join('')).toContain('svc-a');
  // Decoding is a disclosure: on the ledger, with how many payloads and from where.
  const ledger = readFileSync(join(env.TOURNIQUET_DATA_DIR!, 'audit.log'), 'utf8');
  expect(ledger).toMatch(new RegExp(`"details":\\{"namespace":[^}]*"payloads":${signalled.length}\\}[^\\n]*"what":"codec\\.decode"`));

  expect(await stop(running.child)).toBe(0);

  // The SQLite file under the data directory keeps the incident across a restart.
  running = await start();
  listed = JSON.parse(await cli('incidents', 'list', '--json'));
  expect(listed).toContainEqual(expect.objectContaining({ id: incidents[0] }));
  expect(await stop(running.child)).toBe(0);
}, 180_000);

test('a bad setting stops the process with a message naming it', async () => {
  const child = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: { ...env, TOURNIQUET_PORT: 'not-a-port' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  expect(err).toContain('ingress.port (TOURNIQUET_PORT)');

  // A broken runbook stops the worker at start, naming file, line and field.
  const runbooksDir = mkdtempSync(join(tmpdir(), 'tq-start-runbooks-'));
  writeFileSync(join(runbooksDir, 'broken.yaml'), 'id: broken\ntitle: Broken\nsteps:\n  - id: a\n    type: nuke\n');
  const worker = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: ROOT, env: { ...env, TOURNIQUET_RUNBOOKS_DIR: runbooksDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let workerErr = '';
  worker.stderr!.on('data', (c: Buffer) => (workerErr += c.toString()));
  expect(await new Promise<number | null>((r) => worker.once('exit', r))).toBe(2);
  expect(workerErr).toMatch(/broken\.yaml:5: steps\.0\.type: /);

  // A key file others can read stops the start before anything runs, saying how to close it.
  const configHome = mkdtempSync(join(tmpdir(), 'tq-start-keys-'));
  mkdirSync(join(configHome, 'tourniquet', 'keys'), { recursive: true, mode: 0o700 });
  const keyFile = join(configHome, 'tourniquet', 'keys', 'codec-keys.json');
  writeFileSync(keyFile, JSON.stringify({ activeKeyId: 'local-1', keys: [{ id: 'local-1', key: randomBytes(32).toString('base64') }] }), { mode: 0o644 });
  chmodSync(keyFile, 0o644);
  const exposed = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: ROOT, env: { ...env, XDG_CONFIG_HOME: configHome, TOURNIQUET_DATA_DIR: mkdtempSync(join(tmpdir(), 'tq-start-')) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let exposedErr = '';
  exposed.stderr!.on('data', (c: Buffer) => (exposedErr += c.toString()));
  expect(await new Promise<number | null>((r) => exposed.once('exit', r))).toBe(2);
  expect(exposedErr).toContain(`codec key file ${keyFile} is open to group or others (mode 0644); nothing was started. Make it the owner's alone: chmod 600 ${keyFile}`);
}, 60_000);

test('against an existing cluster: a namespace lacking the search attributes stops the process with the commands to create them', async () => {
  const cluster = await startDevServer(testConfig());
  try {
    await cluster.connection.workflowService.registerNamespace({ namespace: 'bare', workflowExecutionRetentionPeriod: msToTs('1 day') });
    const missing = await waitFor(
      () => missingSearchAttributes(cluster.connection, 'bare').catch(() => undefined),
      (m) => m !== undefined,
      'namespace bare usable',
    );
    expect(missing).toContain('temporal operator search-attribute create --namespace bare --name TourniquetBlockedCidrs --type KeywordList');
    expect(missing).toContain('temporal operator search-attribute create --namespace bare --name TourniquetNextDeadline --type Datetime');
    expect(await missingSearchAttributes(cluster.connection, 'default')).toEqual([]);

    const existing = { ...env, TEMPORAL_ADDRESS: cluster.address, TOURNIQUET_PORT: String(await freePort()) };
    const child = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: ROOT, env: { ...existing, TEMPORAL_NAMESPACE: 'bare' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise<number | null>((r) => child.once('exit', r))).toBe(2);
    expect(err).toContain('namespace bare lacks search attributes');
    expect(err).toContain('--name TourniquetStatus --type Keyword');

    // The namespace that has them: the worker and ingress come up against the cluster.
    const running = await start({ ...existing, TEMPORAL_NAMESPACE: 'default' });
    expect(running.logs()).not.toContain('Temporal dev server up');
    expect(await stop(running.child)).toBe(0);
  } finally {
    await cluster.teardown();
  }
}, 120_000);
