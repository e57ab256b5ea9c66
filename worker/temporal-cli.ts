import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

// From the sources (worker/) or from the build (dist/worker/).
const SCRIPTS = [join(__dirname, '..', 'scripts'), join(__dirname, '..', '..', 'scripts')].find((dir) => existsSync(join(dir, 'ensure-temporal')))!;

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

/**
 * Eager activity dispatch: an activity a workflow task schedules (an incident's first step) comes
 * back to that worker with the task's completion instead of a separate poll (Temporal's own
 * default is off; on a cluster it is the operator's setting `system.enableActivityEagerExecution`).
 */
const EAGER_ACTIVITIES = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

/** SQLite in WAL mode (the file stays consistent), with the commit sync the caller chooses. */
const sqlite = (synchronous: 'FULL' | 'OFF') => ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', `synchronous=${synchronous}`];

/**
 * The embedded server of `npm start`, whose SQLite file under the data directory holds every
 * incident: WAL, and each commit fsynced (`synchronous=FULL`), so an alert the ingress answered 202
 * for still has its incident after a power cut. Without the fsync SQLite's WAL mode keeps the file
 * consistent but may drop the last commits, and the ledger would record acceptances whose
 * incidents are gone.
 */
export const EMBEDDED_SERVER_ARGS = [...sqlite('FULL'), ...EAGER_ACTIVITIES];

/**
 * Tests' and benchmarks' servers: the flags the SDK's own CI uses for a fast dev server (WAL, no
 * fsync per commit), since their databases are thrown away with them.
 */
export const DEV_SERVER_ARGS = [...sqlite('OFF'), ...EAGER_ACTIVITIES];
