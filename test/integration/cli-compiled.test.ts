/**
 * The CLI a user runs (`cli/bin.js`) is the compiled one from `npm run build` (run by npm install,
 * npm start and npm test): no TypeScript is transpiled at start, and a command loads only its own
 * command group (no AWS SDK or Slack for `incidents`). An unknown command still gets the full list.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT });
}, 120_000);

/** Runs bin.js as `node` would, and reports which packages it loaded before it exited. */
function runBin(args: string[]): Promise<{ code: number; out: string; err: string; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cli-compiled-'));
  const probe = join(dir, 'probe.js');
  const report = join(dir, 'loaded.json');
  writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`);
  return new Promise((done) => {
    execFile(process.execPath, ['--require', probe, join(ROOT, 'cli', 'bin.js'), ...args], { cwd: dir, env: { ...process.env, TOURNIQUET_DATA_DIR: dir } }, (err, stdout, stderr) => {
      const loaded = existsSync(report) ? (JSON.parse(require('node:fs').readFileSync(report, 'utf8')) as string[]) : [];
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
  expect(run.loaded.some((file) => file.endsWith(join('dist', 'cli', 'main.js')))).toBe(true);
  expect(uses(run.loaded, 'tsx')).toBe(false);
  expect(run.loaded.some((file) => file.endsWith('.ts'))).toBe(false);
  expect(uses(run.loaded, '@aws-sdk/client-s3')).toBe(false);
  expect(uses(run.loaded, '@aws-sdk/client-kms')).toBe(false);
  expect(uses(run.loaded, '@slack/bolt')).toBe(false);
});
