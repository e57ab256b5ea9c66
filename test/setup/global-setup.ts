import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * Once per test run: make sure the real servers are installed (Temporal CLI, the time-skipping
 * test server, moto) and bundle the workflow code once, so each test file's worker starts fast.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  execFileSync('bash', [join(root, 'scripts', 'ensure-test-deps')], { stdio: 'inherit' });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(join(root, 'workflows')),
    failureConverterPath: require.resolve(join(root, 'platform', 'failure-converter')),
    logger: quietLogger,
  });
  const dir = join(tmpdir(), `tourniquet-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const codePath = join(dir, 'workflow-bundle.js');
  writeFileSync(codePath, code);
  process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE = codePath;
  // Generated codec keys go to a per-user folder (platform/codec-keyfile.ts): the run's own, not
  // the developer's ~/.config. Child processes (npm start, the CLI) inherit it.
  const config = join(dir, 'config');
  mkdirSync(config, { recursive: true, mode: 0o700 });
  process.env.XDG_CONFIG_HOME = config;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
