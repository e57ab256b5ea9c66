/**
 * Scenario files are validated like runbooks: every shipped runbook has a tabletop scenario that
 * parses and names it; a broken scenario is refused with its file, line and field.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectAlert, injectMessage } from '../../domain/scenario';
import { drillAlert } from '../../domain/exercise';
import { parseScenario, readRunbooks, readScenarios, RunbookError, scenariosDirOf } from '../../runbooks';
import { RUNBOOKS_DIR } from '../support/temporal';

const ROOT = join(__dirname, '..', '..');
const runbookIds = new Set(readRunbooks(RUNBOOKS_DIR).runbooks.map((r) => r.runbook.id));

test('every shipped runbook has a scenario, and every shipped scenario is valid', () => {
  const { scenarios, problems } = readScenarios(scenariosDirOf(RUNBOOKS_DIR), runbookIds);
  expect(problems).toEqual([]);
  expect(scenarios).toHaveLength(readdirSync(scenariosDirOf(RUNBOOKS_DIR)).length);
  expect([...new Set(scenarios.map((s) => s.scenario.runbook))].sort()).toEqual([...runbookIds].sort());
  for (const { scenario } of scenarios) {
    expect(scenario.injects.length).toBeGreaterThan(0);
    expect(scenario.id).not.toBe(scenario.runbook);
  }
});

const BASE = `id: s
title: t
runbook: triage
injects:
  - { after: 5m, kind: fact, text: one }
`;

test.each([
  ['a runbook that does not exist', BASE.replace('runbook: triage', 'runbook: nope'), 3, 'runbook', /no runbook "nope"/],
  ["a runbook's own id", BASE.replace('id: s', 'id: triage'), 1, 'id', /is a runbook's id/],
  ['injects out of order', `${BASE}  - { after: 1m, kind: fact, text: two }\n`, 6, 'injects.1.after', /in the order they happen/],
  ['a fact without text', BASE.replace('text: one', 'text: ""'), 5, 'injects.0.text', />=1 characters/],
  ['an unknown kind', BASE.replace('kind: fact', 'kind: earthquake'), 5, 'injects.0.kind', /alert|fact/],
  ['a time that is no duration', BASE.replace('after: 5m', 'after: soon'), 5, 'injects.0.after', /a duration/],
  ['an outage without its length', BASE.replace('kind: fact, text: one', 'kind: slack-outage'), 5, 'injects.0.for', /./],
  ['a subject field no source sends', BASE.replace('injects:', 'subject: { ssn: 123-45-6789 }\ninjects:'), 4, 'subject.ssn', /unknown field "ssn"/],
])('refused: %s', (_name, text, line, field, message) => {
  let error: unknown;
  try {
    parseScenario('bad.yaml', text, runbookIds);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(RunbookError);
  const problems = (error as RunbookError).problems;
  expect(problems).toContainEqual(expect.objectContaining({ file: 'bad.yaml', line, field, message: expect.stringMatching(message) }));
});

test('an alert inject is a further alert of the same incident, delivered once however often it is sent', () => {
  const { alert } = drillAlert({ runbook: 'triage', startedBy: 'ana', severity: 'medium', subject: { principal: 'a', accessKeyId: 'AKIA1' }, suffix: 'x1', at: '2026-12-01T00:00:00Z' });
  const inject = { after: '5m', kind: 'alert' as const, subject: { accessKeyId: 'AKIA2' }, severity: 'critical' as const };
  const further = injectAlert(alert, inject, 2, '2026-12-01T00:05:00Z');
  expect(further).toMatchObject({ fingerprint: alert.fingerprint, severity: 'critical', subject: { principal: 'a', accessKeyId: 'AKIA2' }, observedAt: '2026-12-01T00:05:00Z' });
  expect(further.deliveryId).not.toBe(alert.deliveryId);
  expect(injectAlert(alert, inject, 2, '2026-12-01T00:06:00Z').deliveryId).toBe(further.deliveryId);
  expect(injectMessage({ after: '1m', kind: 'fact', text: 'x' }, 1, 3)).toBe('EXERCISE INJECT 1/3: x');
});

test('two scenario files with one id: the first by name is kept, the other is a problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-scenario-ids-'));
  writeFileSync(join(dir, 'a.yaml'), BASE);
  writeFileSync(join(dir, 'b.yaml'), BASE.replace('text: one', 'text: another'));
  const { scenarios, problems } = readScenarios(dir, runbookIds);
  expect(scenarios.map((s) => s.file)).toEqual(['a.yaml']);
  expect(problems).toEqual([expect.objectContaining({ file: 'b.yaml', field: 'id', message: 'scenario id "s" is also used by a.yaml' })]);
  expect(readScenarios(join(dir, 'none'), runbookIds)).toEqual({ scenarios: [], problems: [] });
});

test('`tourniquet runbook validate` checks the scenarios beside the runbooks, and fails on a broken one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-validate-scenarios-'));
  mkdirSync(join(dir, 'scenarios'));
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(join(dir, 'scenarios', 'good.yaml'), BASE);
  writeFileSync(join(dir, 'scenarios', 'bad.yaml'), BASE.replace('id: s', 'id: other').replace('runbook: triage', 'runbook: gone'));
  const run = () => execFileSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), 'runbook', 'validate'], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, TOURNIQUET_RUNBOOKS_DIR: dir } });
  let out = '';
  let status = 0;
  try {
    run();
  } catch (err) {
    const failed = err as { status: number; stdout: Buffer; stderr: Buffer };
    status = failed.status;
    out = failed.stdout.toString() + failed.stderr.toString();
  }
  expect(status).toBe(1);
  expect(out).toContain(`ok  ${join(dir, 'scenarios', 'good.yaml')}`);
  expect(out).toMatch(/bad\.yaml:3: runbook: no runbook "gone"/);
});
