/**
 * The ingress over real TLS: TLS 1.1 is refused at the handshake, 1.2 and 1.3 are served; every
 * response carries the security headers (HSTS only over TLS) without breaking the dashboard's
 * policy or the codec endpoint's CORS; a renewed certificate is served without a restart (and a
 * half-replaced pair is not); plain HTTP on a non-loopback address is refused at start.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer as createTlsServer, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { createIngressApp, ingressDepsFrom, listen, tlsFilesOf, type RunningServer } from '../../ingress';
import { createMetrics } from '../../ingress/metrics';
import { decodeKey, encryptionCodec } from '../../platform/codec';
import { selfSignedCertificate, type TestCertificate } from '../support/certificates';
import { waitFor } from '../support/runbooks';
import { keyRingSetup } from '../../platform/data-converter';
import { memoryAudit, testConfig } from '../support/temporal';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');
const CODEC_TOKEN = 'codec-endpoint-token-0123456789';
const UI_ORIGIN = 'http://127.0.0.1:8233';

let dir: string;
let first: TestCertificate;
let renewed: TestCertificate;
let live: { certPath: string; keyPath: string };
let server: RunningServer;
let port: number;
const reloads = { ok: 0, failed: [] as string[] };

/** An ingress whose Temporal is never reached: TLS and headers are what is under test here. */
function ingressApp(config = testConfig()) {
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const codec = encryptionCodec({ keys: [decodeKey('k1', randomBytes(32).toString('base64'))], activeKeyId: 'k1' });
  return createIngressApp(ingressDepsFrom(config, client, { audit: memoryAudit(), metrics: createMetrics(), codec: { codec, token: CODEC_TOKEN, corsOrigins: [UI_ORIGIN] } }));
}

/** Swap a file the way renewal tools do: write beside it, rename over it. */
function replace(source: string, target: string): void {
  copyFileSync(source, `${target}.new`);
  renameSync(`${target}.new`, target);
}

beforeAll(async () => {
  // The payload key, as a first `npm start` creates it (the ingress encrypts raw payloads with it).
  keyRingSetup(testConfig(), 'create');
  dir = mkdtempSync(join(tmpdir(), 'tq-tls-'));
  first = selfSignedCertificate(dir, 'first');
  renewed = selfSignedCertificate(dir, 'renewed');
  mkdirSync(join(dir, 'live'));
  live = { certPath: join(dir, 'live', 'cert.pem'), keyPath: join(dir, 'live', 'key.pem') };
  copyFileSync(first.certPath, live.certPath);
  copyFileSync(first.keyPath, live.keyPath);
  const config = testConfig({ ingress: { tls: live }, dashboard: { token: 'tls-test-dashboard-token-0123456789' } });
  server = await listen(ingressApp(config), '127.0.0.1', 0, [], {
    tls: tlsFilesOf(config),
    tlsReloadIntervalMs: 100,
    tlsEvents: { reloaded: () => (reloads.ok += 1), failed: (err) => reloads.failed.push(err.message) },
  });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

/** A handshake with the ingress (or another port): the protocol agreed and the certificate served. */
function handshake(options: ConnectionOptions, to = port): Promise<{ protocol: string | null; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: to, servername: 'localhost', ca: [first.cert, renewed.cert], ...options }, () => {
      const result = { protocol: socket.getProtocol(), fingerprint: socket.getPeerCertificate().fingerprint256 };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

const only = (version: SecureVersion): ConnectionOptions => ({
  minVersion: version,
  maxVersion: version,
  // OpenSSL 3 will not offer TLS 1.1 at its default security level; the client is made willing, so a refusal is the server's.
  ciphers: 'DEFAULT@SECLEVEL=0',
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 'localhost', path, method: init.method ?? 'GET', headers: init.headers, ca: [first.cert, renewed.cert] }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

test('TLS 1.1 is refused at the handshake, by the server: the same client is served by a server that allows 1.1', async () => {
  await expect(handshake(only('TLSv1.1'))).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  await expect(handshake(only('TLSv1'))).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  // The control: a server that does allow 1.1 completes the very same handshake.
  const lenient = createTlsServer({ cert: first.cert, key: first.key, minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((r) => lenient.listen(0, '127.0.0.1', r));
  try {
    const { port: lenientPort } = lenient.address() as { port: number };
    expect((await handshake(only('TLSv1.1'), lenientPort)).protocol).toBe('TLSv1.1');
  } finally {
    await new Promise((r) => lenient.close(r));
  }
});

test.each(['TLSv1.2', 'TLSv1.3'] as const)('%s is served', async (version) => {
  expect((await handshake({ minVersion: version, maxVersion: version })).protocol).toBe(version);
});

test('plain HTTP to the TLS port gets no answer in the clear', async () => {
  const reply = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, (err: Error) => err.message);
  expect(reply).not.toBe(200);
});

const EXPECTED = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

test('the dashboard page keeps its policy, with framing forbidden, and is not cached', async () => {
  const page = await call('/dashboard');
  expect(page.status).toBe(200);
  expect(page.headers).toMatchObject({ ...EXPECTED, 'cache-control': 'no-store' });
  // The dashboard's own policy (its scripts and styles are same-origin files) stays, framing is added.
  expect(page.headers['content-security-policy']).toBe("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
  expect(page.body).toContain('<script src="/dashboard/assets/dashboard.js"></script>');
  const asset = await call('/dashboard/assets/dashboard.js');
  expect(asset.status).toBe(200);
  expect(asset.headers).toMatchObject({ ...EXPECTED, 'cache-control': 'public, max-age=300' }); // static, data-free
});

test('the API, refusals and unknown paths carry the headers too', async () => {
  for (const path of ['/dashboard/api/overview', '/healthz', '/nowhere']) {
    const res = await call(path);
    expect([path, res.headers]).toMatchObject([path, { ...EXPECTED, 'cache-control': 'no-store', 'content-security-policy': "frame-ancestors 'none'" }]);
  }
  const refused = await call('/alerts/generic', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
  expect(refused.status).toBe(415);
  expect(refused.headers).toMatchObject(EXPECTED);
});

test('the codec endpoint still answers the Temporal UI cross-origin, with the headers', async () => {
  const preflight = await call('/codec/decode', {
    method: 'OPTIONS',
    headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers).toMatchObject({ ...EXPECTED, 'access-control-allow-origin': UI_ORIGIN, 'access-control-allow-credentials': 'true' });
  const decoded = await call('/codec/decode', {
    method: 'POST',
    headers: { origin: UI_ORIGIN, authorization: `Bearer ${CODEC_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payloads: [] }),
  });
  expect([decoded.status, decoded.body]).toEqual([200, '{"payloads":[]}']);
  expect(decoded.headers).toMatchObject({ ...EXPECTED, 'cache-control': 'no-store', 'access-control-allow-origin': UI_ORIGIN });
  // Over TLS the sign-in cookie is the cross-site kind browsers accept only when Secure.
  const login = await call('/codec/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${CODEC_TOKEN}` });
  expect(String(login.headers['set-cookie'])).toMatch(/SameSite=None; Secure/);
  expect(login.headers['content-security-policy']).toBe("frame-ancestors 'none'");
});

test('plain HTTP on loopback: the same headers, but no HSTS (it would be ignored, and would be wrong)', async () => {
  const plain = await listen(ingressApp(), '127.0.0.1', 0);
  try {
    const res = await fetch(`${plain.url}/dashboard`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'$/);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  } finally {
    await plain.close();
  }
});

test('a renewed certificate is served without a restart; a half-replaced pair is not', async () => {
  expect((await handshake({})).fingerprint).toBe(first.fingerprint256);
  // The certificate arrives first, the key a moment later: the mismatched pair must not be taken.
  replace(renewed.certPath, live.certPath);
  await waitFor(async () => reloads.failed.length, (n) => n > 0, 'the mismatched pair refused', 5_000);
  expect((await handshake({})).fingerprint).toBe(first.fingerprint256);
  expect((await call('/healthz')).status).toBe(200);
  replace(renewed.keyPath, live.keyPath);
  await waitFor(async () => (await handshake({})).fingerprint, (f) => f === renewed.fingerprint256, 'the renewed certificate served', 5_000);
  expect(reloads.ok).toBeGreaterThanOrEqual(1);
  expect((await call('/healthz')).status).toBe(200);
});

test('plain HTTP on a non-loopback address is refused at start, naming the settings', async () => {
  await expect(listen(ingressApp(), '0.0.0.0', 0)).rejects.toThrow(
    /0\.0\.0\.0 is not a loopback address.*ingress\.tls\.certPath and ingress\.tls\.keyPath \(TOURNIQUET_TLS_CERT_PATH, TOURNIQUET_TLS_KEY_PATH\)/,
  );
  // The process itself stops before starting anything (exit code 2, like any bad setting).
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TOURNIQUET_HOST: '0.0.0.0', TOURNIQUET_DATA_DIR: join(dir, 'data'), TOURNIQUET_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  expect(out).toMatch(/ingress\.host \(TOURNIQUET_HOST\): 0\.0\.0\.0 is not a loopback address/);
  expect(out).toContain('TOURNIQUET_TLS_CERT_PATH, TOURNIQUET_TLS_KEY_PATH');
});

test('a certificate and key that do not belong together stop the start, naming the files', async () => {
  const config = testConfig({ ingress: { tls: { certPath: first.certPath, keyPath: renewed.keyPath } } });
  await expect(listen(ingressApp(), '127.0.0.1', 0, [], { tls: tlsFilesOf(config) })).rejects.toThrow(/ingress\.tls: .*first\.cert\.pem and .*renewed\.key\.pem are not a usable certificate and key/);
  await expect(listen(ingressApp(), '127.0.0.1', 0, [], { tls: { certPath: join(dir, 'absent.pem'), keyPath: first.keyPath } })).rejects.toThrow(
    /ingress\.tls\.certPath \(TOURNIQUET_TLS_CERT_PATH\): cannot read .*absent\.pem \(ENOENT\)/,
  );
});
