/**
 * What people are shown, as a table: free text from alerts is withheld unless its source allows
 * it (and masked then), resource ids are shown masked, and an alert's free text is removed
 * wherever it reappears — in an AWS error, a plan line, a notify text — whatever it looks like.
 */
import type { Alert } from '../../domain/alert';
import { displayState, displayTimeline, redactorFor, shownKind, shownTitle, WITHHOLD_FREE_TEXT, withholderFor } from '../../domain/display';
import type { IncidentState } from '../../domain/incident';
import { maskText } from '../../domain/masking';
import { displayPolicyFrom } from '../../platform/display-policy';
import { parseConfig } from '../../platform/config';
import { anAlert } from '../support/alerts';

const NAME = 'Zelphine Quarrington';
const alert = (over: Partial<Alert> = {}): Alert =>
  anAlert({
    source: 'pagerduty',
    kind: `Export by ${NAME}`,
    title: `Export of ${NAME}'s chart`,
    labels: { team: 'api', patient: NAME, 'Wobbleberry Lane': 'true' },
    subject: { principal: 'jdoe', service: `portal of ${NAME}` },
    ...over,
  });

function state(over: Partial<IncidentState> = {}): IncidentState {
  const alerts = over.alerts ?? [alert()];
  return {
    id: 'incident/abc',
    title: alerts[0]!.title,
    severity: 'high',
    status: 'containing',
    openedAt: '2026-01-01T00:00:00.000Z',
    firstObservedAt: '2026-01-01T00:00:00.000Z',
    requester: `alert:${alerts[0]!.source}`,
    alerts,
    alertCount: alerts.length,
    resolvedAlerts: 0,
    steps: [
      {
        id: 'revoke',
        type: 'revokeCredentials',
        status: 'failed',
        error: `iam ListAccessKeys ${NAME}: ValidationError: The user with name ${NAME} cannot be found.`,
        approvals: [{ by: 'U1', decision: 'approve', justification: `ok, ${NAME} confirmed, SSN 078-05-1120`, at: '2026-01-01T00:01:00.000Z', planHash: 'h' }],
        plan: [`notify {"text":"chart of ${NAME} exported"}`, 'deactivate access key AKIA1 of user jdoe'],
        params: { text: NAME },
      },
    ],
    escalated: false,
    notes: 0,
    ...over,
  };
}

const everything = (v: unknown) => JSON.stringify(v);

test.each([
  ['a prose kind (a PagerDuty title)', `Export by ${NAME}`, '[free-text kind]'],
  ['an identifier kind', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller'],
  ['an identifier kind shaped like an e-mail address', 'zq@example.org', '[email]'],
])('shownKind: %s', (_what, kind, shown) => expect(shownKind(kind)).toBe(shown));

test('by default no free text of any source is shown: not the title, labels, prose kind, nor where it reappears', () => {
  const shown = displayState(state(), WITHHOLD_FREE_TEXT);
  expect(everything(shown)).not.toContain('Zelphine');
  expect(everything(shown)).not.toContain('Quarrington');
  expect(everything(shown)).not.toContain('Wobbleberry');
  expect(everything(shown)).not.toContain('078-05-1120');
  expect(shown.title).toBe('pagerduty alert');
  expect(shown.steps[0]!.error).toBe('iam ListAccessKeys [withheld]: ValidationError: The user with name [withheld] cannot be found.');
  expect(shown.steps[0]!.plan).toEqual(['notify {"text":"chart of [withheld] exported"}', 'deactivate access key AKIA1 of user jdoe']);
  expect(shown.steps[0]!.params).toBeUndefined();
  expect(shown.alerts[0]).toMatchObject({ title: '[withheld]', labels: {}, kind: '[free-text kind]', subject: { principal: 'jdoe', service: '[withheld]' } });
});

test('an identifier-kind alert gets a title made of PHI-free fields; a manual one names who declared it', () => {
  expect(shownTitle(state({ alerts: [alert({ source: 'generic', kind: 'LeakedAccessKey' })] }), WITHHOLD_FREE_TEXT)).toBe('LeakedAccessKey (generic)');
  expect(shownTitle(state({ requester: 'U0PERSON' }), WITHHOLD_FREE_TEXT)).toBe('declared by U0PERSON');
});

test('a source configured with showTitles shows its free text, masked, while other sources stay withheld', () => {
  const policy = displayPolicyFrom(parseConfig({ sources: { pagerduty: { showTitles: true } } }));
  expect(policy.showTitles).toEqual(['pagerduty']);
  const withSsn = alert({ title: `Export for SSN 078-05-1120 by ${NAME}`, labels: { note: 'mail zq@example.org' } });
  const other = alert({ source: 'generic', kind: 'Other', title: 'Dorcas Feeney chart', labels: {}, subject: {} });
  const shown = displayState(state({ alerts: [withSsn, other] }), policy);
  expect(shown.title).toBe(`Export for SSN [ssn] by ${NAME}`);
  expect(shown.alerts[0]!.labels).toEqual({ note: 'mail [email]' });
  expect(shown.alerts[1]!.title).toBe('[withheld]');
  expect(redactorFor([withSsn, other], policy)('seen Dorcas Feeney chart today')).toBe('seen [withheld] today');
});

test('values are withheld as whole tokens: a label value "api" does not take "patient-api" apart', () => {
  const withhold = withholderFor([alert()], WITHHOLD_FREE_TEXT);
  expect(withhold('service patient-api for team api.')).toBe('service patient-api for team [withheld].');
  // Short and structural values stay: severities, statuses, booleans, label names.
  expect(withhold('team high true firing')).toBe('team high true firing');
});

test('the timeline as shown: messages redacted, and people-typed text masked', () => {
  const shown = displayTimeline([{ at: 'now', kind: 'incident.note', message: `called ${NAME}, DOB 02/17/1931`, actor: 'U1' }], state(), WITHHOLD_FREE_TEXT);
  expect(shown[0]!.message).toBe('called [withheld], [dob]');
});

test('masking patterns: names where a word introduces them, dates of birth, street addresses, MRNs with a dash', () => {
  expect(maskText('patient Jane Roe, DOB 1961-02-17, born 02/17/1961, lives at 4417 Wobbleberry Lane, MRN-7731904')).toBe(
    'patient [name], [dob], [dob], lives at [address], [mrn]',
  );
  expect(maskText('incident/abc opened 2026-03-01T10:00:00Z; deadline 2026-04-20; iam ListAccessKeys svc-export: NoSuchEntity')).toBe(
    'incident/abc opened 2026-03-01T10:00:00Z; deadline 2026-04-20; iam ListAccessKeys svc-export: NoSuchEntity',
  );
});

test('OAuth tokens are shown as their application and fingerprints, and where the delivery is kept', () => {
  const oauthTokens = { app: 'patient-portal', fingerprints: ['sha256:0123456789ab'], rawRef: `raw/generic/${'ab'.repeat(32)}` };
  const shown = displayState(state({ alerts: [alert({ subject: { oauthTokens } })] }), WITHHOLD_FREE_TEXT);
  expect(shown.alerts[0]!.subject).toEqual({ oauthTokens });
});

test('a Cognito user is shown by its pool and name, an e-mail address as a user name masked', () => {
  const cognitoUser = { userPoolId: 'us-east-1_AbCdEf123', username: 'zq@example.org' };
  const shown = displayState(state({ alerts: [alert({ subject: { cognitoUser } })] }), WITHHOLD_FREE_TEXT);
  expect(shown.alerts[0]!.subject).toEqual({ cognitoUser: { userPoolId: 'us-east-1_AbCdEf123', username: '[email]' } });
  const redact = redactorFor([alert({ subject: { cognitoUser } })], WITHHOLD_FREE_TEXT);
  expect(redact('sign out Cognito user zq@example.org of user pool us-east-1_AbCdEf123 everywhere')).toBe('sign out Cognito user [email] of user pool us-east-1_AbCdEf123 everywhere');
});
