import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An AWS endpoint in front of moto that accepts one chosen call and then never answers it, as a
 * hung connection to AWS looks to the SDK (or, with `answerAfterMs`, answers it that late, as a
 * slow one does; or, with `applyThenHold`, passes it to moto and holds the answer back: the write
 * is made and its answer lost). Every other request (and the same call made again later, by a retry) goes
 * through to moto unchanged.
 */
export interface StallingProxy {
  /** for the AWS SDK clients' `endpoint` */
  url: string;
  /** when each call matching the stall rule arrived (performance.now()), the stalled one first */
  arrivals: number[];
  /** resolves, with the held call's body, when the stalled call has arrived and is being held */
  stalled: Promise<string>;
  /** resolves when a matching call arrives after the stalled one (the retry) */
  retried: Promise<void>;
  /** resolves when the caller closes the stalled call's connection (an aborted request, a dead process) */
  abandoned: Promise<void>;
  close(): Promise<void>;
}

export async function stallingProxy(
  target: string,
  stallWhen: (body: string) => boolean,
  opts: { answerAfterMs?: number; applyThenHold?: boolean } = {},
): Promise<StallingProxy> {
  const upstream = new URL(target);
  const arrivals: number[] = [];
  const held: ServerResponse[] = [];
  let onStalled!: (body: string) => void;
  let onRetried!: () => void;
  let onAbandoned!: () => void;
  const stalled = new Promise<string>((r) => (onStalled = r));
  const retried = new Promise<void>((r) => (onRetried = r));
  const abandoned = new Promise<void>((r) => (onAbandoned = r));

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    if (res.destroyed) return;
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (stallWhen(body.toString('utf8'))) {
        arrivals.push(performance.now());
        if (arrivals.length === 1) {
          held.push(res);
          res.on('close', () => {
            if (!res.writableFinished) onAbandoned();
          });
          onStalled(body.toString('utf8'));
          if (opts.answerAfterMs !== undefined) setTimeout(() => forward(req, body, res), opts.answerAfterMs);
          if (opts.applyThenHold) request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => answer.resume()).end(body);
          return;
        }
        onRetried();
      }
      forward(req, body, res);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    stalled,
    retried,
    abandoned,
    close: () =>
      new Promise<void>((done) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
