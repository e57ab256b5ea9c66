import { Agent, request } from 'node:http';
import { signedAlert } from '../test/support/ingress-stack';

/**
 * A sender for the benchmarks: signed generic alerts over kept-alive connections with node:http,
 * which costs this process less CPU per request than `fetch`. The sender shares the machine (and,
 * in the pipeline benchmark, the process) with what it measures, so its own cost is kept low and
 * measured on its own (pipeline.bench.ts: "the sender and a bare HTTP answer").
 */
export function alertSender(baseUrl: string, path = '/alerts/generic') {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true });
  const send = (body: string, headers: Record<string, string>, retried = false) =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request({ host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      });
      // A kept-alive connection the server closed for idling (its keep-alive timeout) can be reused
      // before this process has seen the close: the request never reached the server, so it is
      // sent once more on a new connection (Node's documented remedy), the same delivery unchanged.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) send(body, headers, true).then(done, fail);
        else fail(err);
      });
      req.end(body);
    });
  const post = (alert: Record<string, unknown>) => {
    const { body, headers } = signedAlert(alert);
    return send(body, headers);
  };
  return { post, close: () => agent.destroy() };
}
