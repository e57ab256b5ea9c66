import { createServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** A plain Node request listener served at one exact path beside the Hono app (Bolt's receiver). */
export interface Mount {
  path: string;
  listener: RequestListener;
}

/** Node's createServer, with requests for a mounted path sent to that mount instead of Hono. */
function createServerWith(mounts: Mount[]) {
  return ((options: ServerOptions, hono: RequestListener) =>
    createServer(options, (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const mount = mounts.find((m) => m.path === path);
      return (mount?.listener ?? hono)(req, res);
    })) as typeof createServer;
}

export function listen(app: Hono, host: string, port: number, mounts: Mount[] = []): Promise<RunningServer> {
  return new Promise((resolvePromise) => {
    const server = serve({ fetch: app.fetch, hostname: host, port, createServer: createServerWith(mounts) }, (info: AddressInfo) => {
      resolvePromise({
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
