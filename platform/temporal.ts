import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { Config } from './config';
import { createDataConverter } from './data-converter';

/** gRPC connection options for a configured cluster: TLS (mTLS) and API key as configured. */
export function connectionOptions(config: Config, address: string): ConnectionOptions & { apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  const read = (path?: string) => (path ? readFileSync(path) : undefined);
  const cert = read(tls?.certPath);
  const key = read(tls?.keyPath);
  return {
    address,
    apiKey,
    tls:
      tls || apiKey
        ? {
            serverNameOverride: tls?.serverName,
            serverRootCACertificate: read(tls?.caPath),
            clientCertPair: cert && key ? { crt: cert, key } : undefined,
          }
        : undefined,
  };
}

export async function connectClient(config: Config, address: string): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(config, address));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: createDataConverter(config) });
}
