import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Once per test run: make sure the real servers are installed (Temporal CLI, the time-skipping
 * test server, moto), and build what a user runs from this checkout's sources (`npm run build`):
 * the CLI tests run the bundled CLI, and each test file's worker loads the workflow bundle instead
 * of bundling again.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  execFileSync('bash', [join(root, 'scripts', 'ensure-test-deps')], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = join(tmpdir(), `tourniquet-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // A copy: a test that runs `npm start` builds dist/ again while the others' workers use this one.
  const codePath = join(dir, 'workflow-bundle.js');
  copyFileSync(join(root, 'dist', 'workflow-bundle.js'), codePath);
  process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE = codePath;
  // Generated codec keys go to a per-user folder (platform/codec-keyfile.ts): the run's own, not
  // the developer's ~/.config. Child processes (npm start, the CLI) inherit it.
  const config = join(dir, 'config');
  mkdirSync(config, { recursive: true, mode: 0o700 });
  process.env.XDG_CONFIG_HOME = config;
}

