import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../../platform/config';

const ROOT = join(__dirname, '..', '..');
/** `npx tourniquet`: the bundled CLI the test run built (test/setup/global-setup.ts). */
const BIN = join(ROOT, 'cli', 'bin.js');

/** `node cli/bin.js …`: the program and arguments that run the CLI as a user does. */
export const cliArgs = (args: string[]): [string, string[]] => [process.execPath, [BIN, ...args]];

/** The CLI as a user runs it, against the test's server and data directory (codec key) as the worker. */
export async function runCli(env: TestWorkflowEnvironment, config: Config, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_LOG_LEVEL: 'error' };
  try {
    const { stdout, stderr } = await promisify(execFile)(...cliArgs(args), { cwd: ROOT, env: cliEnv });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}
