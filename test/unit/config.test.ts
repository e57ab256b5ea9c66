import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../platform/config';

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
