/**
 * The CLI a user runs (`cli/bin.js`) is the bundle `npm run build` makes (run by npm install,
 * npm start and npm test): no TypeScript is transpiled at start, the Temporal SDK and the rest of
 * what `incidents` needs come from that one file (one copy of the SDK, even once the client loads
 * its failure converter), and a command loads only its own command group (no AWS SDK or Slack for
 * `incidents`). An unknown command still gets the full list.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverAlert } from '../../ingress';
import { anAlert } from '../support/alerts';
import { waitFor } from '../support/runbooks';
import { startDevServer, testConfig } from '../support/temporal';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'tourniquet.js');

beforeAll(() => {
  if (!existsSync(BUNDLE)) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT });
}, 120_000);

/** Runs bin.js as `node` would, and reports which files it loaded before it exited. */
function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cli-compiled-'));
  const probe = join(dir, 'probe.js');
  const report = join(dir, 'loaded.json');
  writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`);
  return new Promise((done) => {
    execFile(process.execPath, ['--require', probe, join(ROOT, 'cli', 'bin.js'), ...args], { cwd: dir, env: { ...process.env, TOURNIQUET_DATA_DIR: dir, ...env } }, (err, stdout, stderr) => {
      const loaded = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as string[]) : [];
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr, loaded });
    });
  });
}

const uses = (loaded: string[], pkg: string) => loaded.some((file) => file.includes(`/node_modules/${pkg}/`));

test('an unknown command is refused with the usage error, and every command group is offered', async () => {
  const run = await runBin(['frobnicate']);
  expect(run.code).not.toBe(0);
  expect(run.err).toMatch(/unknown command 'frobnicate'/);
  const help = await runBin(['--help']);
  for (const command of ['incidents', 'runbook', 'approve', 'evidence', 'audit', 'clocks', 'kms', 'token', 'whoami', 'block']) expect(help.out).toContain(command);
});

test('bin.js runs the compiled CLI: no tsx, and `incidents` loads neither the AWS SDK nor Slack', async () => {
  const run = await runBin(['incidents', '--help']);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/list/);
  expect(run.loaded).toContain(BUNDLE);
  expect(uses(run.loaded, 'tsx')).toBe(false);
  expect(run.loaded.some((file) => file.endsWith('.ts'))).toBe(false);
  expect(uses(run.loaded, '@aws-sdk/client-s3')).toBe(false);
  expect(uses(run.loaded, '@aws-sdk/client-kms')).toBe(false);
  expect(uses(run.loaded, '@slack/bolt')).toBe(false);
});

test('`incidents list` against a real server loads the SDK once, from the bundle', async () => {
  const config = testConfig();
  const env = await startDevServer(config);
  try {
    const { incidentId: id } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert());
    await waitFor(() => env.client.workflow.count(`WorkflowId = '${id}'`), ({ count }) => count === 1, `${id} visible`);
    const run = await runBin(['incidents', 'list'], { TEMPORAL_ADDRESS: env.address, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_LOG_LEVEL: 'error' });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(id);
    // The client required its failure converter (the bundle itself): no second SDK from node_modules.
    expect(run.loaded.filter((file) => file.includes('/node_modules/@temporalio/'))).toEqual([]);
    expect(run.loaded.filter((file) => file.includes(`${join(ROOT, 'dist')}/`))).toEqual([BUNDLE]);
  } finally {
    await env.teardown();
  }
});
