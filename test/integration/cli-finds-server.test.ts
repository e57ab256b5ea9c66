/**
 * The README quickstart with nothing configured: `npm start` in a directory (here on ports of its
 * own choosing through variables), then a second shell's CLI in the same directory with none of
 * those variables. The CLI finds the embedded server through the file npm start records in the
 * data dir; it never creates a codec key; when nothing answers it names the address it tried.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** This process's environment without any Tourniquet or Temporal setting: a fresh shell. */
function freshShell(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(TOURNIQUET_|TEMPORAL_)/.test(name)));
  return { ...env, ...extra };
}

interface CliRun {
  code: number;
  stdout: string;
  /** the CLI's own error lines (the runtime may print warnings of its own) */
  errors: string[];
}

function cli(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(...cliArgs(args), { cwd, env }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, errors: stderr.split('\n').filter((l) => l.startsWith('tourniquet:')) });
    });
  });
}

let work: string;
let server: ChildProcess | undefined;
let ingressUrl: string;
let temporalPort: number;
const tokens: Record<string, string> = {};

/** `token create <person>`: the token (shown once) and the configuration lines with its hash. */
async function createToken(person: string): Promise<{ token: string; config: string }> {
  const run = await cli(work, freshShell(), 'token', 'create', person);
  expect(run).toMatchObject({ code: 0, errors: [] });
  const token = /^\s+(tq_\S+)$/m.exec(run.stdout)![1]!;
  const config = run.stdout.slice(run.stdout.indexOf('people:'));
  expect(config).not.toContain(token);
  return { token, config };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tq-quickstart-'));
  // The README's quickstart: a token per person, their hashes and groups in tourniquet.yaml.
  const alice = await createToken('alice');
  const bob = await createToken('bob');
  tokens.alice = alice.token;
  tokens.bob = bob.token;
  const hashOf = (c: string) => /tokenHashes: \[([0-9a-f]{64})\]/.exec(c)![1]!;
  writeFileSync(
    join(work, 'tourniquet.yaml'),
    `people:\n  alice:\n    tokenHashes: [${hashOf(alice.config)}]\n  bob:\n    tokenHashes: [${hashOf(bob.config)}]\napproverGroups:\n  security-oncall: [alice]\n`,
  );
  temporalPort = await freePort();
  const port = await freePort();
  ingressUrl = `http://127.0.0.1:${port}`;
  const env = freshShell({
    TOURNIQUET_TEMPORAL_PORT: String(temporalPort),
    TOURNIQUET_TEMPORAL_UI_PORT: String(await freePort()),
    TOURNIQUET_PORT: String(port),
    TOURNIQUET_RUNBOOKS_DIR: join(ROOT, 'runbooks'),
  });
  server = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  for (let i = 0; !out.includes('ingress listening'); i++) {
    if (server.exitCode !== null || i > 1200) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

test('a second shell with none of the start variables lists the incident npm start opened', async () => {
  const file = join(work, '.data', 'server.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ temporalAddress: `127.0.0.1:${temporalPort}`, ingressUrl, pid: expect.any(Number) });

  const response = await fetch(`${ingressUrl}/alerts/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'LeakedAccessKey', severity: 'high', title: 'key posted publicly', subject: { principal: 'svc-export', accessKeyId: 'AKIAEXAMPLE' } }),
  });
  expect(response.status).toBe(202);
  const { incidents } = (await response.json()) as { incidents: string[] };

  let listed: { id: string }[] = [];
  for (let i = 0; i < 50 && !listed.some((r) => r.id === incidents[0]); i++) {
    const run = await cli(work, freshShell(), 'incidents', 'list', '--json');
    expect(run).toMatchObject({ code: 0, errors: [] });
    listed = JSON.parse(run.stdout);
  }
  expect(listed).toContainEqual(expect.objectContaining({ id: incidents[0] }));
}, 120_000);

test('changes need a token: the token names the person, the authority table decides, and nobody names themselves', async () => {
  const response = await fetch(`${ingressUrl}/alerts/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'SuspiciousThing', severity: 'high', title: 'odd admin activity', fingerprint: `quickstart-${Date.now()}` }),
  });
  const { incidents } = (await response.json()) as { incidents: string[] };
  const id = incidents[0]!;
  const as = (person: string) => freshShell({ TOURNIQUET_TOKEN: tokens[person] });

  // No token at all: the CLI says what to do.
  const anonymous = await cli(work, freshShell({ TOURNIQUET_TOKEN_FILE: join(work, 'no-token-here') }), 'incidents', 'ack', id);
  expect(anonymous.code).toBe(2);
  expect(anonymous.errors[0]).toMatch(/needs your token: set TOURNIQUET_TOKEN/);
  // `--as` is gone: there is no way to name someone else.
  const impersonate = await cli(work, as('bob'), 'approve', id, 'x', '--as', 'alice', '--justification', 'me', '--plan', 'a'.repeat(64));
  expect(impersonate.code).not.toBe(0);
  // bob is in no group: refused, exit 4.
  const bobResolves = await cli(work, as('bob'), 'incidents', 'resolve', id, '--reason', 'mine');
  expect(bobResolves.code).toBe(4);
  expect(bobResolves.errors[0]).toMatch(/refused: bob may not resolve: it needs a member of security-oncall or security-leads/);

  const ack = await cli(work, as('alice'), 'incidents', 'ack', id);
  expect(ack).toMatchObject({ code: 0, errors: [] });
  expect(ack.stdout).toContain(`${id} acknowledged by alice`);
  const resolved = await cli(work, as('alice'), 'incidents', 'resolve', id, '--reason', 'false positive');
  expect(resolved).toMatchObject({ code: 0, errors: [] });
  const shown = await cli(work, freshShell(), 'incidents', 'show', id, '--json');
  const { state, timeline } = JSON.parse(shown.stdout) as { state: { status: string; acknowledgedBy: string }; timeline: { kind: string; actor: string }[] };
  expect(state).toMatchObject({ status: 'resolved', acknowledgedBy: 'alice' });
  expect(timeline.filter((t) => t.kind === 'incident.status').at(-1)!.actor).toBe('alice');
  const audit = readFileSync(join(work, '.data', 'audit.log'), 'utf8');
  expect(audit).toMatch(/"what":"authz.denied"[^\n]*"who":"bob"|"who":"bob"[^\n]*"what":"authz.denied"/);
  expect(audit).not.toContain(tokens.alice);
  // The signing key sits with the other keys, never in the data directory.
  expect(statSync(join(process.env.XDG_CONFIG_HOME!, 'tourniquet', 'keys', 'decision-key.json')).mode & 0o777).toBe(0o600);
  expect(readdirSync(join(work, '.data'))).not.toContain('decision-key.json');
}, 120_000);

test('without a key file the CLI says so in one line, naming where it looked, and creates nothing', async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'tq-no-key-'));
  // Another user's shell: no key in its per-user folder either.
  const configHome = mkdtempSync(join(tmpdir(), 'tq-no-key-config-'));
  const run = await cli(elsewhere, freshShell({ XDG_CONFIG_HOME: configHome }), 'incidents', 'list');
  expect(run.code).toBe(2);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toContain(`no payload encryption key at ${join(configHome, 'tourniquet', 'keys', 'codec-keys.json')} (data dir ${join(elsewhere, '.data')})`);
  expect(run.errors[0]).toContain('npm start');
  expect(readdirSync(elsewhere)).toEqual([]);
  expect(readdirSync(configHome)).toEqual([]);

  // Same with a data dir that exists but holds no key, and for a command that reads the evidence store.
  const empty = mkdtempSync(join(tmpdir(), 'tq-empty-data-'));
  for (const args of [['clocks'], ['evidence', 'verify', 'incident/x']]) {
    const again = await cli(elsewhere, freshShell({ TOURNIQUET_DATA_DIR: empty, XDG_CONFIG_HOME: configHome }), ...args);
    expect(again.code).toBe(2);
    expect(again.errors[0]).toContain(`no payload encryption key at ${join(configHome, 'tourniquet', 'keys', 'codec-keys.json')}`);
  }
  expect(readdirSync(empty)).toEqual([]);
}, 60_000);

test('when nothing answers, the CLI names the address it tried and says to run npm start', async () => {
  const file = join(work, '.data', 'server.json');
  const recorded = readFileSync(file, 'utf8');
  const exited = new Promise((r) => server!.once('exit', r));
  server!.kill('SIGTERM');
  expect(await exited).toBe(0);
  // A clean stop removes the record.
  expect(existsSync(file)).toBe(false);

  // A crashed npm start leaves its record behind: the CLI tries it and says the server is gone.
  writeFileSync(file, recorded, { mode: 0o600 });
  const stale = await cli(work, freshShell(), 'incidents', 'list');
  expect(stale.code).toBe(5);
  expect(stale.errors).toHaveLength(1);
  expect(stale.errors[0]).toContain(`cannot reach Temporal at 127.0.0.1:${temporalPort}`);
  expect(stale.errors[0]).toContain('no longer running');
  expect(stale.errors[0]).toMatch(/run npm start here, or set TEMPORAL_ADDRESS/);

  // No record at all: the embedded server's port from the settings.
  unlinkSync(file);
  const unused = await freePort();
  const none = await cli(work, freshShell({ TOURNIQUET_TEMPORAL_PORT: String(unused) }), 'incidents', 'list');
  expect(none.code).toBe(5);
  expect(none.errors).toHaveLength(1);
  expect(none.errors[0]).toContain(`cannot reach Temporal at 127.0.0.1:${unused}`);
  expect(none.errors[0]).toContain(`no npm start has recorded a server in ${file}`);
  expect(none.errors[0]).toMatch(/run npm start here .*or set TEMPORAL_ADDRESS/);
}, 60_000);
