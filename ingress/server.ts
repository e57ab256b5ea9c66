import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { plainHttpRefusal } from '../platform/secure-url';
import { reloadOnChange, tlsOptions, type ReloadEvents, type TlsFiles } from './tls';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** A plain Node request listener served at one exact path beside the Hono app (Bolt's receiver). */
export interface Mount {
  path: string;
  listener: RequestListener;
}

export interface ListenOptions {
  /** HTTPS with these files; without them only a loopback host is served (plain HTTP) */
  tls?: TlsFiles;
  /** how often the TLS files are checked for a change */
  tlsReloadIntervalMs?: number;
  tlsEvents?: ReloadEvents;
  /** the alert route answers a slow body itself (408, audited); Node's own limit is the backstop for every route */
  bodyTimeoutMs?: number;
}

/** Headers come first and are small: a sender that has not finished them in this long is not a sender. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Node's request limits (defaults: 60 s for headers, 5 min for a whole request, checked every 30 s)
 * are what a slow-loris client holds a socket for; these bound it near the body timeout instead.
 */
function limits(bodyTimeoutMs: number): ServerOptions {
  return {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: HEADERS_TIMEOUT_MS + bodyTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
}

/** Node's createServer (HTTPS with `tls`), with requests for a mounted path sent to that mount instead of Hono. */
function createServerWith(mounts: Mount[], tls: ReturnType<typeof tlsOptions> | undefined) {
  return ((options: ServerOptions, hono: RequestListener) => {
    const route: RequestListener = (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const mount = mounts.find((m) => m.path === path);
      return (mount?.listener ?? hono)(req, res);
    };
    return tls ? createHttpsServer({ ...options, ...tls }, route) : createServer(options, route);
  }) as typeof createServer;
}

export async function listen(app: Hono, host: string, port: number, mounts: Mount[] = [], options: ListenOptions = {}): Promise<RunningServer> {
  const refusal = options.tls ? undefined : plainHttpRefusal(host);
  if (refusal) throw new Error(refusal);
  const tls = options.tls ? tlsOptions(options.tls) : undefined;
  return new Promise((resolvePromise, reject) => {
    const server: Server | HttpsServer = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        serverOptions: limits(options.bodyTimeoutMs ?? 10_000),
        createServer: createServerWith(mounts, tls),
      },
      (info: AddressInfo) => {
        const stopWatching = options.tls
          ? reloadOnChange(server as HttpsServer, options.tls, options.tlsReloadIntervalMs ?? 2_000, options.tlsEvents)
          : () => undefined;
        const shown = host.includes(':') ? `[${host}]` : host;
        resolvePromise({
          url: `${tls ? 'https' : 'http'}://${shown}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              stopWatching();
              server.close(() => done());
            }),
        });
      },
    ) as Server | HttpsServer;
    server.once('error', reject);
  });
}
