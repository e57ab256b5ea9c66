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
  const post = (alert: Record<string, unknown>) =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const { body, headers } = signedAlert(alert);
      const req = request({ host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
