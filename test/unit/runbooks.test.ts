/**
 * The shipped runbooks and the runbook format: every shipped runbook is valid, its steps meet the
 * parameter contracts of their step types, it is selected by the alerts it is written for, and a
 * broken runbook is reported with file, line and field.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ProtectDataStoreParams } from '../../activities/aws/protect-data';
import { BlockParams, ClosePublicAccessParams, RevokeKeyAccessParams, RevokeParams, RotateParams } from '../../activities/aws/params';
import type { Alert } from '../../domain/alert';
import { resolveParams, stepsOf } from '../../domain/runbook';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createIncidentActivities, type PreparedIncident } from '../../activities/incident';
import { describeDryRun, dryRun, loadRunbooks, parseRunbook, readRunbooks, RunbookError, selectRunbook, type RunbookProblem } from '../../runbooks';
import { alertForPlan, validateRunbookFiles } from '../../cli/commands/runbook';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import { anAlert } from '../support/alerts';
import { RUNBOOKS_DIR } from '../support/temporal';

const ROOT = join(__dirname, '..', '..');

/** The step types and their parameter contracts, as the playbooks accept them. */
const CONTRACTS: Record<string, z.ZodType> = {
  notify: z.object({ text: z.string().min(1) }).strict(),
  webhook: z.object({ url: z.string().url(), payload: z.unknown().optional() }).strict(),
  // The AWS playbooks' own parameter schemas: what they will accept at run time.
  revokeCredentials: RevokeParams.strict(),
  rotateKey: RotateParams.strict(),
  revokeKeyAccess: RevokeKeyAccessParams,
  blockTraffic: BlockParams.strict(),
  closePublicAccess: ClosePublicAccessParams,
  protectDataStore: ProtectDataStoreParams,
  recordFollowUpDue: z
    .object({ what: z.string().optional(), severity: z.enum(['info', 'low', 'medium', 'high', 'critical']), from: z.iso.datetime({ offset: true }), dueBySeverity: z.record(z.string(), z.string()).optional() })
    .strict(),
  snapshotEvidence: z.object({ label: z.string().optional() }).strict(),
};
const ALL_STEP_TYPES: ReadonlySet<string> = new Set(Object.keys(CONTRACTS));
/** Steps that change AWS: a person approves them first. */
const RISKY = new Set(['revokeCredentials', 'rotateKey', 'revokeKeyAccess', 'blockTraffic', 'closePublicAccess', 'protectDataStore']);

const subject = { principal: 'svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', kmsKeyId: 'key-1234', ips: ['198.51.100.7', '203.0.113.0/24'], bucket: 'patient-exports' };
/** The alerts each shipped runbook is written for. */
const SCENARIOS: [string, Partial<Alert>][] = [
  ['credential-compromise', { source: 'guardduty', kind: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom' }],
  ['credential-compromise', { source: 'generic', kind: 'LeakedAccessKey' }],
  ['exposed-kms-key', { source: 'generic', kind: 'ExposedKmsKey' }],
  ['malicious-edge-traffic', { source: 'datadog', kind: 'CredentialStuffing' }],
  ['malicious-edge-traffic', { source: 'guardduty', kind: 'Recon:EC2/PortProbeUnprotectedPort' }],
  ['abnormal-phi-export', { source: 'generic', kind: 'AbnormalPhiExport' }],
  ['abnormal-phi-export', { source: 'guardduty', kind: 'Exfiltration:S3/AnomalousBehavior' }],
  ['suspicious-admin-activity', { source: 'guardduty', kind: 'PrivilegeEscalation:IAMUser/AnomalousBehavior' }],
  ['suspicious-admin-activity', { source: 'generic', kind: 'CloudTrailLoggingDisabled' }],
  ['ransomware-data-store', { source: 'guardduty', kind: 'Impact:S3/MaliciousIPCaller' }],
  ['ransomware-data-store', { source: 'alertmanager', kind: 'MassObjectEncryption', severity: 'critical' }],
  ['misconfigured-access-policy', { source: 'eventbridge', kind: 'AccessAnalyzer/Public/AWS::S3::Bucket' }],
  ['misconfigured-access-policy', { source: 'eventbridge', kind: 'SecurityHub/EC2.19' }],
  ['misconfigured-access-policy', { source: 'eventbridge', kind: 'Config/s3-bucket-public-read-prohibited' }],
  ['misconfigured-access-policy', { source: 'generic', kind: 'PublicBucket' }],
  ['credential-compromise', { source: 'github', kind: 'LeakedAccessKey' }],
  ['api-token-compromise', { source: 'generic', kind: 'LeakedToken' }],
  ['api-token-compromise', { source: 'alertmanager', kind: 'AccountTakeover' }],
  ['vulnerable-dependency', { source: 'github', kind: 'VulnerableDependency' }],
  ['vulnerable-dependency', { source: 'eventbridge', kind: 'VulnerableDependency' }],
  ['triage', { source: 'generic', kind: 'SomethingNobodyExpected' }],
];
const SHIPPED = [...new Set(SCENARIOS.map(([id]) => id))];

const shipped = loadRunbooks(RUNBOOKS_DIR, ALL_STEP_TYPES);
const byId = (id: string) => shipped.find((p) => p.runbook.id === id)!;

describe('shipped runbooks', () => {
  test('every scenario of the checklist has a valid runbook', () => {
    expect(shipped.map((p) => p.runbook.id).sort()).toEqual([...SHIPPED].sort());
  });

  test.each(SCENARIOS)('%s is selected for %j', (id, alert) => {
    expect(selectRunbook(shipped, anAlert({ subject, ...alert })).runbook.id).toBe(id);
  });

  test.each(SHIPPED)('%s: every step meets its step type contract once resolved against its alert', (id) => {
    const alert = anAlert({ subject, kind: SCENARIOS.find(([rid]) => rid === id)![1].kind });
    for (const step of stepsOf(byId(id).runbook)) {
      const { params, missing } = resolveParams(step.with, { alert, incident: { id: 'incident/x', severity: 'high' } });
      expect({ step: step.id, missing }).toEqual({ step: step.id, missing: [] });
      const checked = CONTRACTS[step.type]!.safeParse(params);
      expect({ step: step.id, issues: checked.success ? [] : checked.error.issues }).toEqual({ step: step.id, issues: [] });
    }
  });

  test('credential-compromise signs out the Cognito user an alert names; an alert naming none resolves as before', () => {
    const revoke = stepsOf(byId('credential-compromise').runbook).find((s) => s.type === 'revokeCredentials')!;
    const resolve = (extra: object) => resolveParams(revoke.with, { alert: anAlert({ kind: 'LeakedAccessKey', subject: { ...subject, ...extra } }), incident: { id: 'incident/x', severity: 'high' } });
    const user = { userPoolId: 'us-east-1_AbCdEf123', username: 'pat-0001' };
    const named = resolve({ cognitoUser: user });
    expect(named).toMatchObject({ missing: [], params: { cognito: user } });
    expect(RevokeParams.strict().parse(named.params).cognito).toEqual(user);
    const none = resolve({});
    expect(none.missing).toEqual([]);
    // Left out, as if the runbook never named it (Temporal's JSON drops undefined).
    expect(JSON.parse(JSON.stringify(none.params))).not.toHaveProperty('cognito');
  });

  test.each(SHIPPED)('%s: every step that changes AWS waits for an approval', (id) => {
    const ungated = stepsOf(byId(id).runbook).filter((s) => RISKY.has(s.type) && !s.approval);
    expect(ungated.map((s) => s.id)).toEqual([]);
  });

  test('the runbooks that may involve PHI start the breach clock; the others do not', () => {
    expect(shipped.filter((p) => p.runbook.phi).map((p) => p.runbook.id).sort()).toEqual(['abnormal-phi-export', 'api-token-compromise', 'ransomware-data-store']);
  });

  test('every shipped runbook names the owner reminded when its drill is due; an owner must be a person id or group', () => {
    expect(shipped.filter((p) => !p.runbook.owner).map((p) => p.runbook.id)).toEqual([]);
    expect(byId('abnormal-phi-export').runbook.owner).toBe('privacy-officer');
    const dir = mkdtempSync(join(tmpdir(), 'tq-runbooks-owner-'));
    writeFileSync(join(dir, 'a.yaml'), 'id: owned\ntitle: A\nowner: "the leads; rm -rf"\nsteps:\n  - { id: a, type: notify }\n');
    expect(() => loadRunbooks(dir, new Set(['notify']))).toThrow(/a\.yaml:3: owner: a person id or group/);
    writeFileSync(join(dir, 'a.yaml'), 'id: owned\ntitle: A\nowner: U04ALICE\nsteps:\n  - { id: a, type: notify }\n');
    expect(loadRunbooks(dir, new Set(['notify']))[0]!.runbook.owner).toBe('U04ALICE');
  });

  test('taking an exposed key back and rotating it need two people, never a timeout', () => {
    const steps = stepsOf(byId('exposed-kms-key').runbook);
    for (const type of ['revokeKeyAccess', 'rotateKey']) {
      expect(steps.find((s) => s.type === type)!.approval).toMatchObject({ approvers: 2, onTimeout: 'deny' });
    }
  });

  test('each shipped runbook is documented in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Runbooks\n'));
    expect(readme).toContain('\n## Runbooks\n');
    for (const id of SHIPPED) expect(section).toContain(`\`${id}\``);
  });

  test('the worker registers every step type the shipped runbooks use', () => {
    const used = new Set(shipped.flatMap((p) => stepsOf(p.runbook).map((s) => s.type)));
    expect([...used].filter((type) => !STEP_TYPE_NAMES.has(type))).toEqual([]);
  });
});

describe('schema errors name the file, line and field', () => {
  const base = 'id: broken\ntitle: Broken\nsteps:\n';
  const cases: [string, string, Partial<RunbookProblem>][] = [
    ['a bad duration', `${base}  - id: a\n    type: notify\n    with: { text: hi }\n    timeout: 5 minutes\n`, { line: 7, field: 'steps.0.timeout', message: 'a duration such as 30s, 15m, 2h or 7d' }],
    ['a misspelt field', `${base}  - id: a\n    type: notify\n    wiht: { text: hi }\n`, { line: 6, field: 'steps.0.wiht', message: 'unknown field "wiht" (did you mean "with"?)' }],
    ['a bad field inside a parallel group', `${base}  - parallel:\n      - { id: a, type: notify }\n      - id: b\n        type: notify\n        approval: { group: g, approvers: 9 }\n`, { line: 8, field: 'steps.0.parallel.1.approval.approvers' }],
    ['an unknown step type', `${base}  - id: a\n    type: nuke\n`, { line: 5, field: 'steps.0.type', message: expect.stringContaining('unknown step type "nuke"') }],
    ['a duplicate step id', `${base}  - { id: a, type: notify }\n  - id: a\n    type: notify\n`, { line: 5, field: 'steps.1.id', message: 'duplicate step id "a"' }],
    ['a bad severity in a match rule', `id: broken\ntitle: Broken\nmatch:\n  - kinds: [x]\n    minSeverity: huge\nsteps:\n  - { id: a, type: notify }\n`, { line: 5, field: 'match.0.minSeverity' }],
    ['an id with capitals', `id: Broken\ntitle: Broken\nsteps:\n  - { id: a, type: notify }\n`, { line: 1, field: 'id' }],
    ['no steps', `id: broken\ntitle: Broken\nsteps: []\n`, { line: 3, field: 'steps' }],
    ['a YAML syntax error', `${base}  - id: a\n    type: [notify\n`, { line: 6, field: '' }],
    ['proceed is a string, not a flag', `${base}  - id: a\n    type: notify\n    continueOnError: "yes"\n`, { line: 6, field: 'steps.0.continueOnError' }],
  ];
  test.each(cases)('%s', (_, text, expected) => {
    let problems: RunbookProblem[] = [];
    try {
      parseRunbook('runbooks/broken.yaml', text, new Set(['notify']));
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      problems = err.problems;
    }
    expect(problems[0]).toEqual(expect.objectContaining({ file: 'runbooks/broken.yaml', ...expected }));
  });

  test('every problem of every file is reported at once, and runbook ids are unique', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-runbooks-'));
    writeFileSync(join(dir, 'a.yaml'), 'id: same\ntitle: A\nsteps:\n  - { id: a, type: notify, timeout: soon }\n  - { id: b, type: nuke }\n');
    writeFileSync(join(dir, 'b.yaml'), 'id: same\ntitle: B\nsteps:\n  - { id: a, type: notify }\n');
    writeFileSync(join(dir, 'c.yaml'), 'id: same\ntitle: C\nsteps:\n  - { id: a, type: notify }\n');
    expect(() => loadRunbooks(dir, new Set(['notify']))).toThrow(RunbookError);
    try {
      loadRunbooks(dir, new Set(['notify']));
    } catch (err) {
      const lines = (err as RunbookError).message.split('\n');
      expect(lines).toEqual([expect.stringMatching(/a\.yaml:4: steps\.0\.timeout: /), expect.stringMatching(/c\.yaml:1: id: runbook id "same" is also used by b\.yaml/)]);
    }
    // `runbook validate` over the files sees the shared id too.
    expect(validateRunbookFiles(['a.yaml', 'b.yaml', 'c.yaml'].map((f) => join(dir, f)), new Set(['notify'])).problems).toContainEqual(
      expect.objectContaining({ file: join(dir, 'c.yaml'), field: 'id' }),
    );
  });

  test('a file broken while the worker runs is skipped: incidents still open, with the other runbooks or triage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-runbooks-live-'));
    for (const f of ['triage.yaml', 'credential-compromise.yaml']) writeFileSync(join(dir, f), readFileSync(join(RUNBOOKS_DIR, f)));
    writeFileSync(join(dir, 'zz-broken.yaml'), 'id: broken\ntitle: Broken\nsteps:\n  - { id: a, type: nuke }\n');
    const acts = createIncidentActivities({ runbooksDir: dir, approverGroups: {}, decisionKeys: {}, knownStepTypes: ALL_STEP_TYPES, planners: {} });
    const env = new MockActivityEnvironment();
    const leaked = (await env.run(acts.prepareIncident, anAlert({ source: 'generic', kind: 'LeakedAccessKey' }))) as PreparedIncident;
    expect(leaked.pinned.runbook.id).toBe('credential-compromise');
    const other = (await env.run(acts.prepareIncident, anAlert({ kind: 'SomethingElse' }))) as PreparedIncident;
    expect(other.pinned.runbook.id).toBe('triage');
    expect(readRunbooks(dir, ALL_STEP_TYPES).problems).toEqual([expect.objectContaining({ file: join(dir, 'zz-broken.yaml'), field: 'steps.0.type' })]);
  });

  test('each incident reads the files again: an edit counts from the next incident, a fix too, and an unchanged file is not parsed again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-runbooks-edit-'));
    const file = join(dir, 'edited.yaml');
    writeFileSync(file, 'id: edited\ntitle: First\nsteps:\n  - { id: a, type: notify }\n');
    const first = readRunbooks(dir, ALL_STEP_TYPES).runbooks[0]!;
    expect(readRunbooks(dir, ALL_STEP_TYPES).runbooks[0]).toBe(first);
    writeFileSync(file, 'id: edited\ntitle: Second\nsteps:\n  - { id: a, type: nuke }\n');
    expect(readRunbooks(dir, ALL_STEP_TYPES)).toEqual({ runbooks: [], problems: [expect.objectContaining({ file, field: 'steps.0.type' })] });
    // Broken still: reported again, not forgotten.
    expect(readRunbooks(dir, ALL_STEP_TYPES).problems).toHaveLength(1);
    writeFileSync(file, 'id: edited\ntitle: Third\nsteps:\n  - { id: a, type: notify }\n');
    const third = readRunbooks(dir, ALL_STEP_TYPES).runbooks[0]!;
    expect([third.runbook.title, third.contentHash === first.contentHash]).toEqual(['Third', false]);
    // Other step types known: parsed for those, not taken from the parse for these.
    expect(readRunbooks(dir, new Set(['webhook'])).problems).toEqual([expect.objectContaining({ file, field: 'steps.0.type' })]);
  });
});

describe('runbook dry run and the CLI', () => {
  test('a dry run resolves parameters, shows approvals and plans, and reports what the alert lacks', async () => {
    const pinned = byId('credential-compromise');
    const alert = anAlert({ source: 'generic', kind: 'LeakedAccessKey', subject: { principal: 'svc-export', accessKeyId: 'AKIAEXAMPLE' } });
    const run = await dryRun(pinned, alert, {});
    const revoke = run.steps.find((s) => s.id === 'revoke-key')!;
    expect(revoke.params).toMatchObject({ principal: 'svc-export', accessKeyIds: ['AKIAEXAMPLE'] });
    expect(revoke.approval).toMatchObject({ group: 'security-oncall', approvers: 1 });
    expect(revoke.plan?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(run.steps.filter((s) => s.entry === 0).map((s) => s.id)).toEqual(['tell-responders', 'snapshot-evidence']);
    const text = describeDryRun(run);
    expect(text).toContain('1. in parallel:');
    expect(text).toContain('approval: 1 from security-oncall');

    const bare = await dryRun(pinned, anAlert({ kind: 'LeakedAccessKey', subject: {} }), {});
    const unplanned = bare.steps.find((s) => s.id === 'revoke-key')!;
    expect(unplanned.missing).toEqual(['alert.subject.principal', 'alert.subject.accessKeyId']);
    expect(unplanned.plan).toBeUndefined();
    expect(describeDryRun(bare)).toContain('WOULD FAIL: the alert does not provide alert.subject.principal');
  });

  test('a planner that cannot read the world is reported, not fatal', async () => {
    const run = await dryRun(byId('triage'), anAlert(), { notify: async () => Promise.reject(new Error('no credentials')) });
    expect(run.steps[0]).toMatchObject({ planError: 'no credentials' });
  });

  test('the plan alert is read like a generic webhook body, with an optional source', () => {
    const alert = alertForPlan('{"source":"guardduty","kind":"Recon:EC2/Portscan","severity":"high","title":"scan","subject":{"ips":["198.51.100.7"]}}');
    expect(alert).toMatchObject({ source: 'guardduty', kind: 'Recon:EC2/Portscan', subject: { ips: ['198.51.100.7'] } });
    // As the ingress does, a principal gets a type (parsed from an ARN) for the runbook to pass on.
    const role = alertForPlan('{"kind":"LeakedAccessKey","severity":"high","subject":{"principal":"arn:aws:sts::123456789012:assumed-role/etl/nightly"}}');
    expect(role.subject).toMatchObject({ principal: 'etl', principalType: 'assumed-role', sessionName: 'nightly', accountId: '123456789012' });
    expect(alertForPlan('{"kind":"LeakedAccessKey","severity":"high","subject":{"principal":"svc-export"}}').subject).toEqual({ principal: 'svc-export', principalType: 'unknown' });
    expect(() => alertForPlan('{"kind":"x"}')).toThrow(/--alert: severity/);
    expect(() => alertForPlan('not json')).toThrow(/neither a file nor valid JSON/);
  });

  test('validate reports each broken file with line and field, and accepts good ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-validate-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: bad\ntitle: Bad\nsteps:\n  - id: a\n    type: notify\n    retry: { maximumAttempts: 0 }\n');
    const result = validateRunbookFiles([join(RUNBOOKS_DIR, 'triage.yaml'), bad, join(dir, 'missing.yaml')]);
    expect(result.valid).toEqual([join(RUNBOOKS_DIR, 'triage.yaml')]);
    expect(result.problems).toEqual([
      expect.objectContaining({ file: bad, line: 6, field: 'steps.0.retry.maximumAttempts' }),
      expect.objectContaining({ file: join(dir, 'missing.yaml'), message: 'no such file' }),
    ]);
  });

  test('`tourniquet runbook validate` exits non-zero with file:line: field: message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-cli-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: bad\ntitle: Bad\nsteps:\n  - id: a\n    type: notify\n    aproval: { group: g }\n');
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), 'runbook', 'validate', bad], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      const failed = err as { status: number; stderr: Buffer };
      status = failed.status;
      stderr = failed.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toContain(`${bad}:6: steps.0.aproval: unknown field "aproval" (did you mean "approval"?)`);
  });
});

describe('a RACI per runbook', () => {
  const RACI_RUNBOOK = [
    'id: with-raci',
    'title: R',
    'raci:',
    '  responsible: security-oncall',
    '  accountable: security-leads',
    '  consulted: [privacy-officer]',
    '  informed: [privacy-officer, comms]',
    'steps:',
    '  - id: gated',
    '    type: webhook',
    '    with: { url: "https://soar.example/hook" }',
    '    approval: { approvers: 1 }',
    '  - id: own-group',
    '    type: webhook',
    '    with: { url: "https://soar.example/hook" }',
    '    approval: { group: oncall-2, escalateTo: leads-2 }',
    '',
  ].join('\n');
  const known = { groups: new Set(['security-oncall', 'security-leads', 'privacy-officer', 'comms', 'oncall-2', 'leads-2']), roles: ['incident-commander', 'scribe'] };

  test('a gated step without its own group asks the responsible group and escalates to the accountable one; its own policy wins', () => {
    const { runbook } = parseRunbook('r.yaml', RACI_RUNBOOK, new Set(['webhook']), known);
    const [gated, own] = stepsOf(runbook);
    expect(gated!.approval).toMatchObject({ group: 'security-oncall', escalateTo: 'security-leads', approvers: 1 });
    expect(own!.approval).toMatchObject({ group: 'oncall-2', escalateTo: 'leads-2' });
    expect(runbook.raci).toEqual({ responsible: 'security-oncall', accountable: 'security-leads', consulted: ['privacy-officer'], informed: ['privacy-officer', 'comms'] });
  });

  test('an unknown group or role in the raci is refused with its line; an approval without group needs a raci', () => {
    const problems = (text: string, names = known) => {
      try {
        parseRunbook('r.yaml', text, new Set(['webhook']), names);
        return [];
      } catch (err) {
        return (err as RunbookError).problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
      }
    };
    expect(problems(RACI_RUNBOOK.replace('informed: [privacy-officer, comms]', 'informed: [privacy-officer, nobody-group]'))).toEqual([
      expect.stringMatching(/^7: raci\.informed\.1: no approver group "nobody-group" in approverGroups/),
    ]);
    expect(problems(RACI_RUNBOOK.replace('accountable: security-leads', 'accountable: { role: commander }'))).toEqual([
      '5: raci.accountable.role: no incident role "commander" (roles: incident-commander, scribe)',
    ]);
    expect(problems(RACI_RUNBOOK.replace('accountable: security-leads', 'accountable: { role: scribe }'))).toEqual([]);
    expect(problems(RACI_RUNBOOK.replace(/raci:\n(  .*\n){4}/, ''))).toEqual(['7: steps.0.approval.group: an approval needs a group (or the runbook a raci with a responsible group)']);
    // Without configured names (the workflow, a configuration with no groups yet) only the form is checked.
    expect(problems(RACI_RUNBOOK.replace('comms', 'nobody-group'), {} as typeof known)).toEqual([]);
    expect(problems(RACI_RUNBOOK.replace('responsible: security-oncall', 'responsible: [a]'))[0]).toMatch(/raci\.responsible/);
  });

  test('the shipped runbooks that touch credentials and PHI tell the privacy officer', () => {
    expect(byId('credential-compromise').runbook.raci).toMatchObject({ responsible: 'security-oncall', accountable: 'security-leads', informed: ['privacy-officer'] });
    expect(byId('abnormal-phi-export').runbook.raci).toMatchObject({ consulted: ['privacy-officer'], informed: ['privacy-officer'] });
  });
});
