/**
 * The severity policy as a table: alert severity and runbook → level; a level's targets from the
 * incident's facts; the configuration that says so, and the errors that stop a start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Severity } from '../../domain/severity';
import { levelFor, nextDue, pageSettled, targetMet, targetsFor, type TargetFacts, type TargetState } from '../../domain/severity-policy';
import { ConfigError, loadConfig, parseConfig } from '../../platform/config';
import { severityPolicyFrom } from '../../platform/severity-config';

const defaults = severityPolicyFrom(parseConfig({}).severity);
const configured = severityPolicyFrom(
  parseConfig({
    severity: {
      levels: { P1: { acknowledge: '5m', resolve: '1h', page: true, review: '3d' }, P2: { acknowledge: '1h' }, P3: {} },
      alerts: { critical: 'P1', high: 'P2', medium: 'P3', low: 'P3', info: 'P3' },
      runbooks: { 'ransomware-data-store': 'P1', 'vulnerable-dependency': 'P3' },
    },
  }).severity,
);

test.each<[string, typeof defaults, Severity, string | undefined, string]>([
  ['default: critical is SEV1', defaults, 'critical', undefined, 'SEV1'],
  ['default: high is SEV2', defaults, 'high', 'credential-compromise', 'SEV2'],
  ['default: medium is SEV3', defaults, 'medium', undefined, 'SEV3'],
  ['default: low is SEV4', defaults, 'low', undefined, 'SEV4'],
  ['default: info is SEV4', defaults, 'info', 'triage', 'SEV4'],
  ['configured: by alert severity', configured, 'high', 'triage', 'P2'],
  ['configured: a runbook raises the level', configured, 'low', 'ransomware-data-store', 'P1'],
  ['configured: a runbook lowers it too (its level wins)', configured, 'critical', 'vulnerable-dependency', 'P3'],
  ['configured: a runbook the policy does not name goes by severity', configured, 'critical', 'credential-compromise', 'P1'],
])('%s', (_rule, policy, severity, runbook, level) => {
  expect(levelFor(policy, severity, runbook).id).toBe(level);
});

test('the default levels: targets, paging, and review due left to reviews.dueDays', () => {
  expect(defaults.levels.map((l) => [l.id, l.targets, l.page, l.review])).toEqual([
    ['SEV1', { acknowledge: '15m', contain: '1h', resolve: '4h' }, true, undefined],
    ['SEV2', { acknowledge: '30m', contain: '4h', resolve: '24h' }, true, undefined],
    ['SEV3', { acknowledge: '4h', contain: '24h', resolve: '3d' }, false, undefined],
    ['SEV4', { acknowledge: '1d', resolve: '7d' }, false, undefined],
  ]);
  // Without a routing key nothing pages, whatever the level says.
  expect(defaults.paging).toBe(false);
  expect(severityPolicyFrom(parseConfig({ severity: { pagerDuty: { routingKey: 'k'.repeat(32) } } }).severity).paging).toBe(true);
  expect(JSON.stringify(severityPolicyFrom(parseConfig({ severity: { pagerDuty: { routingKey: 'k'.repeat(32) } } }).severity))).not.toContain('kkkk');
});

const OPENED = '2027-03-01T10:00:00.000Z';
const facts = (more: Partial<TargetFacts> = {}): TargetFacts => ({ openedAt: OPENED, closed: false, containable: true, ...more });
const sev1 = levelFor(defaults, 'critical');

test.each<[string, 'acknowledge' | 'contain' | 'resolve', Partial<TargetFacts>, boolean]>([
  ['acknowledge: unmet until someone acknowledges', 'acknowledge', {}, false],
  ['acknowledge: met by an acknowledgement', 'acknowledge', { acknowledgedAt: OPENED }, true],
  ['contain: met once contained', 'contain', { containedAt: OPENED }, true],
  ['contain: an acknowledgement does not contain', 'contain', { acknowledgedAt: OPENED }, false],
  ['resolve: unmet while open, even contained', 'resolve', { containedAt: OPENED, acknowledgedAt: OPENED }, false],
  ['any target: met once the incident is closed', 'resolve', { closed: true }, true],
  ['any target: closing as no-action meets acknowledge too', 'acknowledge', { closed: true }, true],
])('%s', (_rule, target, more, met) => {
  expect(targetMet(target, facts(more))).toBe(met);
});

test('targets are due from the opening; contain only where the runbook contains', () => {
  expect(targetsFor(sev1, facts()).map((t) => [t.target, t.dueAt, t.status])).toEqual([
    ['acknowledge', '2027-03-01T10:15:00.000Z', 'pending'],
    ['contain', '2027-03-01T11:00:00.000Z', 'pending'],
    ['resolve', '2027-03-01T14:00:00.000Z', 'pending'],
  ]);
  expect(targetsFor(sev1, facts({ containable: false })).map((t) => t.target)).toEqual(['acknowledge', 'resolve']);
  expect(nextDue(targetsFor(sev1, facts()))!.target).toBe('acknowledge');
});

test('a rising level keeps what was already met or missed, and tightens what is pending', () => {
  const sev3 = levelFor(defaults, 'medium');
  const before: TargetState[] = targetsFor(sev3, facts()).map((t) => (t.target === 'acknowledge' ? { ...t, status: 'missed', page: 'sent' } : t));
  const after = targetsFor(sev1, facts(), before);
  expect(after.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed', within: '4h', page: 'sent' });
  expect(after.find((t) => t.target === 'resolve')).toMatchObject({ status: 'pending', within: '4h', dueAt: '2027-03-01T14:00:00.000Z' });
});

test('a page settles once every target it was sent for is met', () => {
  const t = (target: 'acknowledge' | 'resolve', status: TargetState['status'], page?: TargetState['page']): TargetState => ({ target, within: '1h', dueAt: OPENED, status, ...(page ? { page } : {}) });
  expect(pageSettled([t('acknowledge', 'missed', 'sent')])).toBe(false);
  expect(pageSettled([t('acknowledge', 'met', 'sent'), t('resolve', 'missed')])).toBe(true);
  expect(pageSettled([t('acknowledge', 'met', 'sent'), t('resolve', 'missed', 'sent')])).toBe(false);
});

test.each([
  ['an alert severity mapped to an unknown level', { alerts: { critical: 'SEV0' } }, 'severity.alerts.critical: no level SEV0 (levels are SEV1, SEV2, SEV3, SEV4)'],
  ['a runbook mapped to an unknown level', { runbooks: { triage: 'SEV9' } }, 'severity.runbooks.triage: no level SEV9 (levels are SEV1, SEV2, SEV3, SEV4)'],
  ['levels without the ones the alerts map to', { levels: { P1: {} } }, 'severity.alerts.critical: no level SEV1 (levels are P1)'],
  ['a target that is no duration', { levels: { SEV1: { acknowledge: '15 minutes' } }, alerts: { critical: 'SEV1', high: 'SEV1', medium: 'SEV1', low: 'SEV1', info: 'SEV1' } }, 'severity.levels.SEV1.acknowledge: a duration such as 30s, 15m, 2h or 7d'],
  ['a misspelt target', { levels: { SEV1: { acknowlege: '15m' } }, alerts: { critical: 'SEV1', high: 'SEV1', medium: 'SEV1', low: 'SEV1', info: 'SEV1' } }, 'severity.levels.SEV1: Unrecognized key: "acknowlege"'],
  ['a plain-http PagerDuty', { pagerDuty: { url: 'http://events.example.com' } }, 'severity.pagerDuty.url (TOURNIQUET_PAGERDUTY_URL)'],
])('%s stops the start with a message naming the setting', (_what, severity, message) => {
  expect(() => parseConfig({ severity })).toThrow(ConfigError);
  expect(() => parseConfig({ severity })).toThrow(message);
});

test('a worker started with an unknown level in its file stops at once (exit code 2), naming the setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-sev-'));
  writeFileSync(join(dir, 'tourniquet.yaml'), 'severity:\n  alerts: { critical: SEV0 }\n  levels:\n    SEV1: { acknowledge: soon }\n');
  const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
  const run = spawnSync(tsx, [join(__dirname, '..', '..', 'worker', 'main.ts')], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8', timeout: 60_000 });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('severity.alerts.critical: no level SEV0 (levels are SEV1)');
  expect(run.stderr).toContain('severity.levels.SEV1.acknowledge: a duration such as 30s, 15m, 2h or 7d');
});

test('the routing key comes from the environment too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-sev-'));
  const config = loadConfig({ TOURNIQUET_PAGERDUTY_ROUTING_KEY: 'r'.repeat(32), TOURNIQUET_PAGERDUTY_URL: 'http://127.0.0.1:9999' }, dir);
  expect(config.severity.pagerDuty).toEqual({ url: 'http://127.0.0.1:9999', routingKey: 'r'.repeat(32) });
});
