import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../platform/config';
import { connectClient } from '../platform/temporal';

/** Settings and a Temporal client for a CLI command; the client connects on first use. */
export interface CliContext {
  config: Config;
  client(): Promise<Client>;
  /** where the embedded server listens when TEMPORAL_ADDRESS is not set */
  address: string;
}

export function cliContext(): CliContext {
  const config = loadConfig();
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.embeddedPort}`;
  let client: Promise<Client> | undefined;
  return {
    config,
    address,
    client: () => (client ??= connectClient(config, address)),
  };
}

/** A command's failure: printed as one line, with an exit code that says what kind. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
