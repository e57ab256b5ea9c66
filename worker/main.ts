/**
 * `npm start`: the whole of Tourniquet in one process — the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS names a cluster), the worker, and the HTTP ingress. TOURNIQUET_ROLE=worker or
 * ingress runs one role only, for scaling them apart.
 */
import '../platform/threadpool';
import { resolve, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createIngressApp, ingressDepsFrom, listen, tlsFilesOf } from '../ingress';
import { startSlackIngress } from '../ingress/slack';
import { createMetrics } from '../ingress/metrics';
import { ConfigError, loadConfig, type Config } from '../platform/config';
import { createLogger, type Logger } from '../platform/logger';
import { connectClient, connectionOptions } from '../platform/temporal';
import { missingSearchAttributes } from '../platform/search-attributes';
import { loadRunbooks, readRunbooks, RunbookError } from '../runbooks';
import { runbookNamesOf } from './runbook-names';
import { STEP_TYPE_NAMES } from '../workflows/steps';
import { activityDeps, auditSinkFor } from './activity-deps';
import { embeddedUiOrigins, startEmbeddedTemporal } from './embedded-temporal';
import { builtWorkflowBundle, createWorker } from './worker';
import { codecSetup, type CodecSetup } from '../platform/data-converter';
import { KeyFilePermissionError, MissingKeyFileError, userKeyDir } from '../platform/codec-keyfile';
import { temporalLogger } from '../platform/temporal-logger';
import { configLoadedEvent } from '../activities/audit/config-event';
import { forgetRunningServer, recordRunningServer } from '../platform/server-file';
import { accessSettingsFrom, ingressIdentity } from '../ingress/identity';
import { Directory } from '../ingress/identity/directory';
import { ensureAccessReconciliation } from './access-schedule';
import { ensureDrillCadence } from './drill-schedule';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  // Before any Temporal connection: the SDK's own lines (and the native core's) go through the
  // masking logger, not straight to stderr. Signals are ours to handle (stop() below drains the worker).
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    shutdownSignals: [],
  });
  const role = process.env.TOURNIQUET_ROLE ?? 'all';
  if (!['all', 'worker', 'ingress'].includes(role)) {
    console.error(`TOURNIQUET_ROLE must be all, worker or ingress (got "${role}")`);
    process.exit(2);
  }
  log.info({ dataDir: resolve(config.dataDir), runbooksDir: resolve(config.runbooksDir), role }, 'configuration loaded');
  if (role !== 'ingress') {
    // Broken runbooks stop the worker at start, where someone is watching; later breakage only
    // skips the file (incidents still open).
    try {
      loadRunbooks(config.runbooksDir, STEP_TYPE_NAMES);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      console.error(`runbooks in ${resolve(config.runbooksDir)} are invalid; fix them (npx tourniquet runbook validate):\n${err.message}`);
      process.exit(2);
    }
    // A RACI naming a group or role the configuration lacks asks or allows nobody there: said loudly,
    // but the runbook stays (people and groups change by SIGHUP; `runbook validate` refuses it).
    for (const p of readRunbooks(config.runbooksDir, STEP_TYPE_NAMES, runbookNamesOf(config)).problems) {
      log.warn({ file: p.file, line: p.line, field: p.field }, `runbook ${p.file}: ${p.field}: ${p.message}`);
    }
  }
  let codec: CodecSetup;
  try {
    codec = codecSetup(config);
  } catch (err) {
    if (!(err instanceof KeyFilePermissionError || err instanceof MissingKeyFileError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  if (codec.keyFile?.created) log.warn({ keyFile: codec.keyFile.path }, `no codec keys configured: generated an encryption key at ${codec.keyFile.path} (0600); back it up (README: keys), or configure codec.keys or codec.kms`);
  if (codec.keyFile?.kind === 'legacy') {
    log.warn(
      { keyFile: codec.keyFile.path },
      `the codec key is in the data directory, beside the data it protects; move it to the per-user folder (README: keys): mkdir -m 700 -p ${userKeyDir()} && mv -n ${codec.keyFile.path} ${userKeyDir()}/ (if a key is there already, set codec.keyFile to this one instead)`,
    );
  }
  await auditSinkFor(config).append(configLoadedEvent(config, role));
  // The ingress's signing key first: in the one-process default the worker derives its public key from it.
  const identity = role !== 'worker' ? ingressIdentity(config, auditSinkFor(config)) : undefined;
  // Who may hold break-glass access: the ingress's directory when both roles run here, so one reload reaches both.
  const holders = identity?.directory ?? new Directory(accessSettingsFrom(config));
  if (identity?.signingKey.created) log.warn({ keyFile: identity.signingKey.path, kid: identity.signingKey.kid }, 'generated the decision signing key (0600); workers elsewhere need its public key (npx tourniquet decision-key show)');

  // Last of all: anchor what this process wrote since its last anchor.
  const cleanups: (() => Promise<void>)[] = [() => auditSinkFor(config).close()];
  let address = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  let embedded: Awaited<ReturnType<typeof startEmbeddedTemporal>> | undefined;
  if (!address) {
    embedded = await startEmbeddedTemporal(config);
    cleanups.unshift(embedded.shutdown);
    address = embedded.address;
    uiUrl ??= embedded.uiUrl;
    log.info({ address, ui: uiUrl, db: join(resolve(config.dataDir), 'temporal.sqlite') }, `Temporal dev server up; UI at ${uiUrl}`);
  }

  if (config.temporal.address) await requireSearchAttributes(config, address, log);

  // The embedded UI calls the codec endpoint from its own origin.
  const corsOrigins = [...config.codec.corsOrigins, ...(config.temporal.address ? [] : embeddedUiOrigins(config))];

  let workerRun: Promise<void> | undefined;
  if (role !== 'ingress') {
    const connection = await NativeConnection.connect(connectionOptions(config, address));
    let deps;
    try {
      deps = activityDeps(config, log, holders);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(err.message);
      process.exit(2);
    }
    const worker = await createWorker({ connection, config, activities: createActivities(deps), workflowBundle: builtWorkflowBundle() });
    workerRun = worker.run();
    const scheduling = await connectClient(config, address);
    await ensureAccessReconciliation(scheduling, config, log);
    await ensureDrillCadence(scheduling, config, log);
    cleanups.unshift(async () => {
      worker.shutdown();
      await workerRun;
      await connection.close();
    });
    log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  }

  let ingressUrl: string | undefined;
  if (role !== 'worker') {
    const client = await connectClient(config, address);
    const app = createIngressApp(
      ingressDepsFrom(config, client, {
        audit: auditSinkFor(config),
        metrics: createMetrics(),
        log,
        ...(config.codec.endpointToken ? { codec: { codec: codec.codec, token: config.codec.endpointToken, corsOrigins } } : {}),
        operators: { decider: identity!.decider, authenticate: identity!.authenticate },
      }),
    );
    const slack = await startSlackIngress(config, { client, audit: auditSinkFor(config), decider: identity!.decider }, log);
    // SIGHUP: people, groups and the authority table are read again; the next decision uses them.
    process.on('SIGHUP', () => {
      try {
        const fresh = loadConfig();
        identity!.directory.replace(accessSettingsFrom(fresh));
        if (holders !== identity!.directory) holders.replace(accessSettingsFrom(fresh));
        void auditSinkFor(config).append({ ...configLoadedEvent(fresh, role), what: 'config.reloaded', why: { reason: 'SIGHUP: people, groups and authority read again' } });
        log.info('people, groups and authority reloaded');
      } catch (err) {
        log.error({ err: (err as Error).message }, 'configuration not reloaded: it is invalid; the previous one stays');
      }
    });
    cleanups.unshift(slack.stop);
    const server = await listen(app, config.ingress.host, config.ingress.port, slack.mounts, {
      tls: tlsFilesOf(config),
      bodyTimeoutMs: config.ingress.bodyTimeoutMs,
      tlsEvents: { reloaded: () => log.info('ingress TLS certificate reloaded'), failed: (err) => log.warn({ err }, 'ingress TLS files changed but do not load; still serving the previous certificate') },
    });
    cleanups.unshift(server.close);
    ingressUrl = server.url;
  }

  if (embedded) {
    // A second shell's CLI reads this (same settings, same data dir) instead of needing our variables.
    const file = recordRunningServer(config, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      temporalAddress: embedded.address,
      temporalUiUrl: embedded.uiUrl,
      ...(ingressUrl ? { ingressUrl } : {}),
    });
    cleanups.unshift(async () => forgetRunningServer(config));
    log.info({ file }, 'recorded where this server listens, for the CLI');
  }
  if (ingressUrl) log.info({ url: ingressUrl }, `ingress listening at ${ingressUrl}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const cleanup of cleanups) await cleanup().catch((err) => log.error({ err }, 'shutdown step failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (workerRun) await workerRun.catch((err) => log.fatal({ err }, 'worker stopped'));
}

/** An existing cluster must know Tourniquet's search attributes; say how to create any missing. */
async function requireSearchAttributes(config: Config, address: string, log: Logger): Promise<void> {
  const connection = await Connection.connect(connectionOptions(config, address));
  try {
    const missing = await missingSearchAttributes(connection, config.temporal.namespace);
    if (missing.length > 0) {
      console.error(`namespace ${config.temporal.namespace} lacks search attributes Tourniquet needs; create them, then start again:\n  ${missing.join('\n  ')}`);
      process.exit(2);
    }
  } catch (err) {
    // Some deployments do not let this identity list them (Temporal Cloud manages them elsewhere).
    log.warn({ err }, 'could not list the namespace\'s search attributes; make sure the README\'s list exists');
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
