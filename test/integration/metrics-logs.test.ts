/**
 * Structured logs: one JSON line per request over a real socket, with a correlation id echoed to
 * the caller, and PHI-shaped text masked wherever a log call puts it.
 */
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { listen, type RunningServer } from '../../ingress';
import { requestLog } from '../../ingress/request-log';
import { createLogger } from '../../platform/logger';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const log = createLogger('info', 'tourniquet-test', sink);
let server: RunningServer;

beforeAll(async () => {
  const app = new Hono<{ Variables: { log: typeof log; correlationId: string } }>();
  app.use('*', requestLog(log));
  app.get('/ok', (c) => {
    c.get('log').info({ patient: 'Jane Roe', note: 'reach her at jane.roe@example.org or 555-867-5309' }, 'looked up MRN: 12345');
    return c.json({ ok: true });
  });
  app.get('/boom', (c) => c.json({ error: 'nope' }, 503));
  server = await listen(app as unknown as Hono, '127.0.0.1', 0);
});

afterAll(async () => server?.close());

test('each request gets a correlation id, echoed and carried by every line of that request', async () => {
  const res = await fetch(`${server.url}/ok?ssn=123-45-6789`, { headers: { 'x-request-id': 'req-42' } });
  expect(res.headers.get('x-request-id')).toBe('req-42');
  const mine = lines.filter((l) => l.correlationId === 'req-42');
  expect(mine).toHaveLength(2);
  expect(mine[1]).toMatchObject({ msg: 'request', method: 'GET', path: '/ok', status: 200, name: 'tourniquet-test' });
  expect(JSON.stringify(mine)).not.toContain('123-45-6789'); // query strings are not logged

  const generated = await fetch(`${server.url}/ok`, { headers: { 'x-request-id': 'not a sane id; drop table' } });
  const id = generated.headers.get('x-request-id')!;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(lines.filter((l) => l.correlationId === id)).toHaveLength(2);
});

test('PHI in fields and messages is masked before it is written', async () => {
  await fetch(`${server.url}/ok`, { headers: { 'x-request-id': 'req-phi' } });
  const [handlerLine] = lines.filter((l) => l.correlationId === 'req-phi');
  expect(handlerLine).toMatchObject({ patient: '[masked]', note: 'reach her at [email] or [phone]', msg: 'looked up [mrn]' });
});

test('refusals and failures are logged at their level', async () => {
  await fetch(`${server.url}/boom`, { headers: { 'x-request-id': 'req-503' } });
  expect(lines.find((l) => l.correlationId === 'req-503')).toMatchObject({ level: 50, status: 503, msg: 'request failed' });
});
