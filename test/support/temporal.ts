import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createActivities, logNotifier, type ActivityDeps, type Activities } from '../../activities';
import { createAwsClients, createAwsPlanners } from '../../activities/aws';
import { parseConfig, type Config } from '../../platform/config';
import { createDataConverter } from '../../platform/data-converter';
import { searchAttributeTypes } from '../../platform/search-attributes';
import { DEV_SERVER_ARGS, devServerExecutable, timeSkippingServerExecutable } from '../../worker/temporal-cli';
import { createWorker } from '../../worker/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import type { AuditEvent } from '../../activities/audit-sink';
import { localEvidenceStore } from '../../activities/evidence';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { keyRing, type KeyRing } from '../../platform/key-ring';
import { TEST_DECISION_KEYS } from './decisions';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier test file in this process
  }
}

export const RUNBOOKS_DIR = join(__dirname, '..', '..', 'runbooks');

/** Settings for tests: defaults, plus whatever the test overrides. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return parseConfig({ dataDir: join(require('node:os').tmpdir(), `tq-${process.pid}-${Date.now()}`), ...overrides });
}

/**
 * A real Temporal CLI dev server, one per test file: in-memory SQLite, or a file (and a fixed port)
 * when a test restarts the server.
 */
export async function startDevServer(
  config: Config = testConfig(),
  persistence: { dbFilename: string; port: number } | Record<string, never> = {},
): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return withStartAttempts(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        ...persistence,
        executable: devServerExecutable(),
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
        extraArgs: DEV_SERVER_ARGS,
        log: { format: 'pretty', level: 'error' },
      },
      client: { dataConverter: createDataConverter(config) },
    }),
  );
}

/**
 * The SDK gives a starting server five seconds; on a busy machine a JVM can take longer, and so
 * can the dev server's first start after it was installed (a CI run's first test file). A start
 * that timed out left nothing listening, so starting again is safe.
 */
async function withStartAttempts<T>(start: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/did not start within/.test((err as Error).message)) throw err;
    }
  }
}

/** Temporal's Java time-skipping test server, for days-long timers. */
export async function startTimeSkippingServer(config: Config = testConfig()): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await withStartAttempts(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: timeSkippingServerExecutable() },
      client: { dataConverter: createDataConverter(config) },
    }),
  );
  // The test server knows no custom search attributes until told (the dev server gets them as flags).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: searchAttributeTypes(),
  });
  return env;
}


/** In-memory audit sink: tests read what the workflows appended. */
export function memoryAudit(): { events: AuditEvent[]; append(event: AuditEvent): Promise<void> } {
  const events: AuditEvent[] = [];
  return { events, append: async (event) => void events.push(event) };
}

/** A key ring of one random key, for stores encrypted at rest in tests. */
export function testKeys(): KeyRing {
  return keyRing({ keys: [{ id: 'test-1', key: randomBytes(32) }], activeKeyId: 'test-1' });
}

/** A fresh local write-once evidence directory, encrypted with `keys`. */
export function testEvidence(
  dataDir = join(require('node:os').tmpdir(), `tq-evidence-${process.pid}-${Date.now()}`),
  keys: KeyRing = testKeys(),
): ActivityDeps['evidence'] {
  return { store: localEvidenceStore(join(dataDir, 'evidence'), keys), cloudTrailLookbackHours: 24 };
}

/**
 * The worker's activity dependencies for a test: the real planners on the test's AWS clients, so a
 * runbook's approval gate plans exactly as in production (and fails as it would).
 */
export function testActivityDeps(overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  const silent = { info: () => undefined, warn: () => undefined };
  // Nothing listens here: a test that uses AWS passes clients pointed at its moto server.
  const aws = overrides.aws ?? createAwsClients({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  const awsSettings = overrides.awsSettings ?? parseConfig({}).aws;
  // The planners read alert-named OAuth tokens from the same store the worker's activities do.
  const evidence = overrides.evidence ?? testEvidence();
  return {
    runbooksDir: RUNBOOKS_DIR,
    approverGroups: {},
    decisionKeys: TEST_DECISION_KEYS,
    knownStepTypes: STEP_TYPE_NAMES,
    planners: createAwsPlanners({ aws, awsSettings, evidence }),
    notifier: logNotifier(silent),
    audit: memoryAudit(),
    fetch,
    aws,
    awsSettings,
    clocks: parseConfig({}).clocks,
    followUps: parseConfig({}).followUps,
    reviews: parseConfig({}).reviews,
    evidence,
    ...overrides,
  };
}

/** A worker on the test server, with the workflow bundle built once by the global setup. */
export async function startWorker(
  env: TestWorkflowEnvironment,
  config: Config,
  activities: Activities = createActivities(testActivityDeps()),
): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const codePath = process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE;
  const worker = await createWorker({
    connection: env.nativeConnection,
    config: { ...config, temporal: { ...config.temporal, namespace: env.namespace ?? 'default' } },
    activities,
    workflowBundle: codePath ? { codePath } : undefined,
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}
