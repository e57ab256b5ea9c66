import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { KeyFilePermissionError, MissingKeyFileError } from '../platform/codec-keyfile';
import { loadConfig, type Config } from '../platform/config';
import { createDataConverter } from '../platform/data-converter';
import { isAlive, readRunningServer, serverFilePath } from '../platform/server-file';
import { connectionOptions } from '../platform/temporal';
import { CliError, EXIT_SETUP, EXIT_UNREACHABLE } from './errors';
import { operatorApiClient, type OperatorApi } from './operator-api';

/** Settings and a Temporal client for a CLI command; the client connects on first use. */
export interface CliContext {
  config: Config;
  client(): Promise<Client>;
  /** the Temporal address the client uses: TEMPORAL_ADDRESS, else where `npm start` recorded its server */
  address: string;
  /** the operator API, for every change (signed in with TOURNIQUET_TOKEN or the token file) */
  api(): OperatorApi;
}

export { CliError, EXIT_SETUP, EXIT_UNREACHABLE } from './errors';

/** Where to reach Temporal, and what to tell the user when it does not answer there. */
export interface TemporalTarget {
  address: string;
  /** loopback dev server: refused connections fail fast */
  embedded: boolean;
  /** why this address, and what to do when nothing answers */
  hint: string;
}

export function temporalTarget(config: Config): TemporalTarget {
  if (config.temporal.address) {
    return { address: config.temporal.address, embedded: false, hint: 'the cluster named by temporal.address (TEMPORAL_ADDRESS); check it is up and reachable from here' };
  }
  const file = serverFilePath(config);
  const recorded = readRunningServer(config);
  if (recorded) {
    const gone = isAlive(recorded.pid) ? '' : `, which is no longer running`;
    return {
      address: recorded.temporalAddress,
      embedded: true,
      hint: `recorded in ${file} by npm start (pid ${recorded.pid}${gone}); run npm start here, or set TEMPORAL_ADDRESS`,
    };
  }
  return {
    address: `127.0.0.1:${config.temporal.embeddedPort}`,
    embedded: true,
    hint: `the embedded server's port, temporal.embeddedPort: no npm start has recorded a server in ${file}; run npm start here (or point TOURNIQUET_DATA_DIR at its data dir), or set TEMPORAL_ADDRESS`,
  };
}

/** The payload codec, from keys that must already exist: the CLI never creates a key. */
function cliDataConverter(config: Config, failureConverterPath?: string): DataConverter {
  try {
    return createDataConverter(config, 'existing', failureConverterPath);
  } catch (err) {
    throw keySetupError(err, config);
  }
}

/** A missing or exposed key file as the one line a person needs; any other error as it is. */
export function keySetupError(err: unknown, config?: Config): unknown {
  if (err instanceof KeyFilePermissionError) return new CliError(err.message, EXIT_SETUP);
  if (!(err instanceof MissingKeyFileError)) return err;
  return new CliError(
    `no payload encryption key at ${err.path}${config ? ` (data dir ${resolve(config.dataDir)})` : ''}: run npm start once as this user to create it, ` +
      'point codec.keyFile (TOURNIQUET_CODEC_KEY_FILE) at the key npm start uses, or configure codec.keys or codec.kms',
    EXIT_SETUP,
  );
}

async function connect(config: Config, target: TemporalTarget, failureConverterPath?: string): Promise<Client> {
  const dataConverter = cliDataConverter(config, failureConverterPath);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config, target.address), ...(target.embedded ? { connectTimeout: '3s' } : {}) });
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new CliError(`cannot reach Temporal at ${target.address} (${target.hint}): ${reason}`, EXIT_UNREACHABLE);
  }
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter });
}

/** `failureConverterPath`: the CLI's entry module, which exports the failure converter (cli/main.ts). */
export function cliContext({ failureConverterPath }: { failureConverterPath?: string } = {}): CliContext {
  const config = loadConfig();
  const target = temporalTarget(config);
  let client: Promise<Client> | undefined;
  return {
    config,
    address: target.address,
    client: () => (client ??= connect(config, target, failureConverterPath)),
    api: () => operatorApiClient(config),
  };
}
