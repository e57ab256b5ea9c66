import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../platform/config';
import { createDataConverter } from '../platform/data-converter';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { EMBEDDED_SERVER_ARGS, devServerExecutable } from './temporal-cli';

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string;
  env: TestWorkflowEnvironment;
  shutdown(): Promise<void>;
}

/** Where the embedded UI sends payloads to be decoded: this process's ingress, when it serves /codec. */
export function embeddedCodecEndpoint(config: Config): string | undefined {
  if (!config.codec.endpointToken) return undefined;
  const { host, port } = config.ingress;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const scheme = config.ingress.tls?.certPath ? 'https' : 'http';
  return `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/codec`;
}

/** The embedded UI's origins, which the codec endpoint must answer from a browser. */
export function embeddedUiOrigins(config: Config): string[] {
  const uiPort = config.temporal.embeddedUiPort;
  return [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
}

/**
 * Start the Temporal CLI dev server with a SQLite file under the data directory, so incidents and
 * clocks survive a restart of `npm start`. With the codec endpoint on, its UI is pointed at it.
 */
export async function startEmbeddedTemporal(config: Config): Promise<EmbeddedTemporal> {
  const dir = resolve(config.dataDir);
  mkdirSync(dir, { recursive: true });
  const { embeddedPort: port, embeddedUiPort: uiPort, namespace } = config.temporal;
  const codecEndpoint = embeddedCodecEndpoint(config);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      dbFilename: join(dir, 'temporal.sqlite'),
      ip: '127.0.0.1',
      port,
      ui: true,
      uiPort,
      namespace,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      extraArgs: [...EMBEDDED_SERVER_ARGS, ...(codecEndpoint ? ['--ui-codec-endpoint', codecEndpoint] : [])],
      log: { format: 'json', level: 'warn' },
    },
    client: { dataConverter: createDataConverter(config) },
  });
  return {
    address: env.address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    env,
    shutdown: () => env.teardown(),
  };
}
