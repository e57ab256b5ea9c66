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
