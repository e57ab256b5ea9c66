import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

const SCRIPTS = join(__dirname, '..', 'scripts');

function scriptOutput(script: string): string {
  return execFileSync('bash', [join(SCRIPTS, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/**
 * The Temporal CLI to run as the embedded dev server: TEMPORAL_CLI_PATH, `temporal` on PATH, or
 * a cached build from the Go module registry (scripts/ensure-temporal). Only when none can be had
 * does the SDK download it (which needs internet access).
 */
export function devServerExecutable(): EphemeralServerExecutable {
  const path = scriptOutput('ensure-temporal');
  return path ? { type: 'existing-path', path } : { type: 'cached-download' };
}

/** Temporal's Java time-skipping test server, from Maven Central (scripts/ensure-test-server). */
export function timeSkippingServerExecutable(): EphemeralServerExecutable {
  const path = scriptOutput('ensure-test-server');
  return path ? { type: 'existing-path', path } : { type: 'cached-download' };
}

/** Flags the SDK's own CI uses for a fast dev server; WAL keeps the SQLite file consistent. */
export const DEV_SERVER_SQLITE_ARGS = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'];
