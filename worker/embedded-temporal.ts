import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../platform/config';
import { createDataConverter } from '../platform/data-converter';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { DEV_SERVER_SQLITE_ARGS, devServerExecutable } from './temporal-cli';

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string;
  env: TestWorkflowEnvironment;
  shutdown(): Promise<void>;
}

/**
 * Start the Temporal CLI dev server with a SQLite file under the data directory, so incidents and
 * clocks survive a restart of `npm start`.
 */
export async function startEmbeddedTemporal(config: Config): Promise<EmbeddedTemporal> {
  const dir = resolve(config.dataDir);
  mkdirSync(dir, { recursive: true });
  const { embeddedPort: port, embeddedUiPort: uiPort, namespace } = config.temporal;
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
      extraArgs: DEV_SERVER_SQLITE_ARGS,
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
