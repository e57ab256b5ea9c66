import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../platform/config';
import { workerTuning } from '../../worker/worker';

test('defaults need no configuration at all', () => {
  const config = loadConfig({}, mkdtempSync(join(tmpdir(), 'tq-cfg-')));
  expect(config.temporal.address).toBeUndefined();
  expect(config.temporal.taskQueue).toBe('tourniquet');
  expect(config.ingress.port).toBe(8080);
});

test('environment variables override the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  writeFileSync(join(dir, 'tourniquet.yaml'), 'ingress: { port: 9000 }\napproverGroups: { oncall: [U1] }\n');
  const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TOURNIQUET_PORT: '9100' }, dir);
  expect(config.ingress.port).toBe(9100);
  expect(config.temporal.address).toBe('temporal.internal:7233');
  expect(config.approverGroups).toEqual({ oncall: ['U1'] });
});

test.each([
  [{ TOURNIQUET_PORT: 'eighty' }, /ingress\.port \(TOURNIQUET_PORT\)/],
  [{ TOURNIQUET_PORT: '70000' }, /ingress\.port \(TOURNIQUET_PORT\)/],
  [{ TOURNIQUET_LOG_LEVEL: 'loud' }, /log\.level \(TOURNIQUET_LOG_LEVEL\)/],
  [{ TOURNIQUET_CONFIG: '/nonexistent/tourniquet.yaml' }, /TOURNIQUET_CONFIG: no such file/],
])('a bad setting %j stops with a message naming it', (env, message) => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  expect(() => loadConfig(env, dir)).toThrow(ConfigError);
  expect(() => loadConfig(env, dir)).toThrow(message);
});

test('a misspelt setting in the file stops the process, with the setting it probably meant', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  writeFileSync(
    join(dir, 'tourniquet.yaml'),
    'clocks: { timezone: America/New_York, baAgreementDay: 10 }\napproverGroups: { oncall: [U1] }\nsources: { generic: { bearerToken: abcdefghijklmnop } }\nfrobnicate: true\n',
  );
  let message = '';
  try {
    loadConfig({}, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    message = (err as Error).message;
  }
  expect(message).toContain('clocks.timezone: not a setting (did you mean "clocks.timeZone"?)');
  expect(message).toContain('clocks.baAgreementDay: not a setting (did you mean "clocks.baAgreementDays"?)');
  expect(message).toContain('frobnicate: not a setting');
  expect(message).not.toContain('approverGroups'); // group names are the user's own keys
  expect(message).not.toContain('sources.generic');
});

test('a malformed config file is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  writeFileSync(join(dir, 'tourniquet.yaml'), 'ingress: [unclosed\n');
  expect(() => loadConfig({}, dir)).toThrow(/tourniquet\.yaml: not valid YAML/);
});

test('people, operators, authority and decision keys: one person per Slack user, e-mail and token; typos refused', () => {
  const load = (yaml: string, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
    writeFileSync(join(dir, 'tourniquet.yaml'), yaml);
    return () => loadConfig(env, dir);
  };
  const hash = 'ab'.repeat(32);
  const ok = load(
    `people: { alice: { slack: U04ABC, email: alice@example.org, tokenHashes: [${hash}] } }\nauthority: { resolve: [incident-commanders], clock.assessment.close: [privacy-officer] }\n`,
    { TOURNIQUET_OIDC_ISSUER: 'https://idp.example.org', TOURNIQUET_OIDC_AUDIENCE: 'tourniquet,cli', TOURNIQUET_DECISION_PUBLIC_KEYS: `k1:${'cd'.repeat(32)}` },
  )();
  expect(ok.people.alice).toEqual({ slack: 'U04ABC', email: 'alice@example.org', tokenHashes: [hash] });
  expect(ok.authority.resolve).toEqual(['incident-commanders']);
  expect(ok.operators.oidc).toMatchObject({ issuer: 'https://idp.example.org', audience: ['tourniquet', 'cli'], algorithms: ['RS256', 'ES256'], groupsFromToken: false });
  expect(ok.decisions.publicKeys).toEqual({ k1: 'cd'.repeat(32) });
  expect(ok.codec.acceptPlaintext).toBe(false);

  expect(load('people: { alice: { slack: U1 }, bob: { slack: U1 } }\n')).toThrow(/people\.bob\.slack: slack user U1 is already alice's/);
  expect(load(`people: { alice: { tokenHashes: [${hash}] }, bob: { tokenHashes: [${hash}] } }\n`)).toThrow(/people\.bob\.tokenHashes: token ababababab/);
  expect(load('people: { alice: { tokenHashes: [letmein] } }\n')).toThrow(/tokenHashes.*SHA-256/);
  expect(load('people: { alice: { slak: U1 } }\n')).toThrow(ConfigError);
  expect(load('authority: { resolv: [x] }\n')).toThrow(/authority\.resolv: not a setting \(did you mean "authority\.resolve"\?\)/);
  expect(load('decisions: { publicKeys: { k1: nothex } }\n')).toThrow(/decisions\.publicKeys\.k1/);
});

test('credential secrets: none by default; a secret id or its rotation options per IAM user; a bad wait is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  expect(loadConfig({}, dir).aws.credentialSecrets).toEqual({});
  writeFileSync(join(dir, 'tourniquet.yaml'), 'aws: { credentialSecrets: { svc-export: prod/svc-export/aws, svc-batch: { secretId: prod/batch, waitFor: grace, grace: 10m } } }\n');
  expect(loadConfig({}, dir).aws.credentialSecrets).toEqual({ 'svc-export': 'prod/svc-export/aws', 'svc-batch': { secretId: 'prod/batch', waitFor: 'grace', grace: '10m' } });
  writeFileSync(join(dir, 'tourniquet.yaml'), 'aws: { credentialSecrets: { svc-batch: { secretId: prod/batch, pickupTimeout: soon } } }\n');
  expect(() => loadConfig({}, dir)).toThrow(/aws\.credentialSecrets/);
});

test('key retirement: defaults, and a quiet period CloudTrail could not check is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
  expect(loadConfig({}, dir).aws.keyRetirement).toEqual({ unusedFor: '30d', checkEvery: '1d', approvalGroup: 'security-leads' });
  expect(loadConfig({}, dir).aws.keyPolicyBaselines).toEqual({});
  for (const [unusedFor, ok] of [['89d', true], ['90d', false], ['2200h', false], ['30 days', false]] as const) {
    writeFileSync(join(dir, 'tourniquet.yaml'), `aws: { keyRetirement: { unusedFor: "${unusedFor}" } }\n`);
    if (ok) expect(loadConfig({}, dir).aws.keyRetirement.unusedFor).toBe(unusedFor);
    else expect(() => loadConfig({}, dir)).toThrow(/aws\.keyRetirement\.unusedFor/);
  }
  writeFileSync(join(dir, 'tourniquet.yaml'), 'aws: { keyRetirement: { unusedFr: 30d } }\n');
  expect(() => loadConfig({}, dir)).toThrow(/aws\.keyRetirement\.unusedFr: not a setting \(did you mean "aws\.keyRetirement\.unusedFor"\?\)/);
});

describe('plain HTTP only on loopback, outbound only over https', () => {
  const load = (env: NodeJS.ProcessEnv) => loadConfig(env, mkdtempSync(join(tmpdir(), 'tq-cfg-')));

  test.each(['0.0.0.0', '::', '10.0.0.5', 'ingress.internal', '127.0.0.1.nip.io'])('ingress.host %s without TLS stops the process, naming the TLS settings', (host) => {
    expect(() => load({ TOURNIQUET_HOST: host })).toThrow(ConfigError);
    expect(() => load({ TOURNIQUET_HOST: host })).toThrow(
      /ingress\.host \(TOURNIQUET_HOST\): .*not a loopback address.*ingress\.tls\.certPath and ingress\.tls\.keyPath \(TOURNIQUET_TLS_CERT_PATH, TOURNIQUET_TLS_KEY_PATH\)/,
    );
  });

  test.each(['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]'])('ingress.host %s may serve plain HTTP', (host) => {
    expect(load({ TOURNIQUET_HOST: host }).ingress.host).toBe(host);
  });

  test('a certificate without its key (or the reverse) is named; both open any host', () => {
    expect(() => load({ TOURNIQUET_TLS_CERT_PATH: '/etc/tq/cert.pem' })).toThrow(/ingress\.tls\.keyPath \(TOURNIQUET_TLS_KEY_PATH\): required with ingress\.tls\.certPath/);
    expect(() => load({ TOURNIQUET_TLS_KEY_PATH: '/etc/tq/key.pem' })).toThrow(/ingress\.tls\.certPath \(TOURNIQUET_TLS_CERT_PATH\): required with ingress\.tls\.keyPath/);
    const config = load({ TOURNIQUET_HOST: '0.0.0.0', TOURNIQUET_TLS_CERT_PATH: '/etc/tq/cert.pem', TOURNIQUET_TLS_KEY_PATH: '/etc/tq/key.pem', TOURNIQUET_BODY_TIMEOUT_MS: '2500' });
    expect(config.ingress).toMatchObject({ host: '0.0.0.0', tls: { certPath: '/etc/tq/cert.pem', keyPath: '/etc/tq/key.pem' }, bodyTimeoutMs: 2500 });
    expect(load({}).ingress.bodyTimeoutMs).toBe(10_000);
    expect(() => load({ TOURNIQUET_BODY_TIMEOUT_MS: '5' })).toThrow(/ingress\.bodyTimeoutMs \(TOURNIQUET_BODY_TIMEOUT_MS\)/);
  });

  test.each([
    ['SLACK_API_URL', 'slack.apiUrl'],
    ['AWS_ENDPOINT_URL', 'aws.endpoint'],
  ])('%s over plain http to another host is refused; https and loopback are not', (variable, setting) => {
    expect(() => load({ [variable]: 'http://slack.example.com/api/' })).toThrow(new RegExp(`${setting.replace('.', '\\.')} .*http://slack\\.example\\.com would travel unencrypted`));
    expect(() => load({ [variable]: 'ftp://files.example.com/' })).toThrow(/must be an https URL \(got ftp\)/);
    expect(() => load({ [variable]: 'https://slack.example.com/api/' })).not.toThrow();
    expect(() => load({ [variable]: 'http://127.0.0.1:4010/api/' })).not.toThrow();
    expect(() => load({ [variable]: 'http://[::1]:4010/api/' })).not.toThrow();
  });

  test('OAuth revocation endpoints must be https (loopback excepted)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-cfg-'));
    const oauth = (url: string) => `aws:\n  oauth:\n    portal: { revocationEndpoint: "${url}", clientId: tq, clientSecret: s3cret }\n`;
    writeFileSync(join(dir, 'tourniquet.yaml'), oauth('http://idp.example.com/oauth2/revoke'));
    expect(() => loadConfig({}, dir)).toThrow(/aws\.oauth\.portal\.revocationEndpoint: http:\/\/idp\.example\.com would travel unencrypted/);
    writeFileSync(join(dir, 'tourniquet.yaml'), oauth('https://idp.example.com/oauth2/revoke'));
    expect(loadConfig({}, dir).aws.oauth.portal!.revocationEndpoint).toBe('https://idp.example.com/oauth2/revoke');
    writeFileSync(join(dir, 'tourniquet.yaml'), oauth('http://localhost:9000/revoke'));
    expect(() => loadConfig({}, dir)).not.toThrow();
  });
});

describe('worker tuning', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'tq-cfg-'));

  test.each([
    [{ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '1' }, /worker\.maxCachedWorkflows \(TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS\): 0 \(no cache\) or at least 2/],
    [{ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '-5' }, /worker\.maxCachedWorkflows/],
    [{ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: 'lots' }, /worker\.maxCachedWorkflows/],
    [{ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '10' }, /worker\.maxConcurrentWorkflowTasks \(TOURNIQUET_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS\): at most worker\.maxCachedWorkflows \(10\)/],
    [{ TOURNIQUET_WORKER_WORKFLOW_TASK_POLLERS: '50' }, /worker\.workflowTaskPollers .*: at most worker\.maxConcurrentWorkflowTasks \(40\)/],
    [{ TOURNIQUET_WORKER_WORKFLOW_TASK_POLLERS: '1' }, /worker\.workflowTaskPollers/],
    [{ TOURNIQUET_WORKER_MAX_CONCURRENT_ACTIVITIES: '4' }, /worker\.activityTaskPollers .*: at most worker\.maxConcurrentActivities \(4\)/],
    [{ TOURNIQUET_WORKER_WORKFLOW_THREADS: '0' }, /worker\.workflowThreads \(TOURNIQUET_WORKER_WORKFLOW_THREADS\)/],
  ])('a setting the SDK would quietly change (%j) stops the start, named', (env, message) => {
    expect(() => loadConfig(env, dir())).toThrow(message);
  });

  test('defaults bound the cache; the file and the environment set it', () => {
    expect(loadConfig({}, dir()).worker).toEqual({
      maxCachedWorkflows: 250,
      maxConcurrentWorkflowTasks: 40,
      maxConcurrentActivities: 100,
      maxConcurrentLocalActivities: 100,
      workflowTaskPollers: 10,
      activityTaskPollers: 10,
      workflowThreads: 1,
    });
    const d = dir();
    writeFileSync(join(d, 'tourniquet.yaml'), 'worker: { maxCachedWorkflows: 0, maxConcurrentWorkflowTasks: 80 }\n');
    const config = loadConfig({ TOURNIQUET_WORKER_ACTIVITY_TASK_POLLERS: '4' }, d);
    expect(config.worker).toMatchObject({ maxCachedWorkflows: 0, maxConcurrentWorkflowTasks: 80, activityTaskPollers: 4 });
  });

  test('the settings reach the SDK as its worker options', () => {
    const d = dir();
    writeFileSync(join(d, 'tourniquet.yaml'), 'worker: { maxCachedWorkflows: 600, maxConcurrentWorkflowTasks: 20, maxConcurrentActivities: 50, workflowTaskPollers: 4, activityTaskPollers: 3, workflowThreads: 2 }\n');
    expect(workerTuning(loadConfig({}, d).worker)).toEqual({
      maxCachedWorkflows: 600,
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentActivityTaskExecutions: 50,
      maxConcurrentLocalActivityExecutions: 100,
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 3 },
      workflowThreadPoolSize: 2,
    });
  });
});
