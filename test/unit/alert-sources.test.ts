/**
 * Each source's documented payload maps to the alerts it carries, and each source's
 * authentication accepts exactly what the sender would sign and nothing else.
 */
import { createHash } from 'node:crypto';
import { authenticate, sourceAuthFrom, type SourceAuth } from '../../ingress/alerts/auth';
import { fingerprintOf, normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import { HttpError } from '../../ingress/errors';
import { parseConfig, loadConfig, type WebhookSource } from '../../platform/config';
import { fixture, signatureHeaders } from '../fixtures/alerts';

const parse = (source: WebhookSource, name: string) => parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(fixture(name)));

describe('documented payloads map to alerts', () => {
  test('Alertmanager v4: every alert of the group, firing and resolved, with its own fingerprint', () => {
    const alerts = parse('alertmanager', 'alertmanager');
    expect(alerts).toHaveLength(3);
    expect(alerts[0]).toMatchObject({
      kind: 'ExportVolumeAbnormal',
      severity: 'critical',
      status: 'firing',
      title: 'Patient record export volume far above baseline',
      subject: { principal: 'svc-export', service: 'patient-api' },
      labels: { team: 'api', instance: 'api-1:9100' },
      observedAt: '2024-05-02T09:52:26.739266876+02:00',
      sourceFingerprint: '1a30ba71cca2921f',
    });
    expect(alerts.map((a) => a.status)).toEqual(['firing', 'firing', 'resolved']);
    expect(new Set(alerts.map((a) => a.sourceFingerprint)).size).toBe(3);
  });

  test('Grafana: Alertmanager shape plus its own fields; warning is medium; client_ip is the subject IP', () => {
    const [flood, latency] = parse('grafana', 'grafana');
    expect(flood).toMatchObject({ kind: 'EdgeRequestFlood', severity: 'medium', status: 'firing', subject: { ips: ['203.0.113.9'] } });
    expect(latency).toMatchObject({ kind: 'EdgeLatencyHigh', status: 'resolved' });
  });

  test('PagerDuty V3: triggered and resolved meet on the incident key; a ping carries no alert', () => {
    const [triggered] = parse('pagerduty', 'pagerduty-triggered');
    const [resolved] = parse('pagerduty', 'pagerduty-resolved');
    expect(triggered).toMatchObject({
      kind: 'KMS key scheduled for deletion outside change window',
      severity: 'critical', // priority P1
      status: 'firing',
      subject: { service: 'Patient API' },
      labels: { urgency: 'high', priority: 'P1' },
      observedAt: '2024-05-02T14:00:00.000Z',
    });
    expect(resolved!.status).toBe('resolved');
    expect(fingerprintOf('pagerduty', resolved!)).toBe(fingerprintOf('pagerduty', triggered!));
    expect(parse('pagerduty', 'pagerduty-ping')).toEqual([]);
  });

  test('Datadog default template: transition, scope and priority read from the title', () => {
    const [triggered] = parse('datadog', 'datadog');
    const [recovered] = parse('datadog', 'datadog-recovered');
    expect(triggered).toMatchObject({
      kind: 'KMS decrypt volume abnormal',
      severity: 'high', // P2
      status: 'firing',
      labels: { scope: 'service:patient-api', datadog_event_type: 'query_alert_monitor' },
      observedAt: '2024-05-02T12:00:00.000Z',
    });
    expect(recovered!.status).toBe('resolved');
    expect(fingerprintOf('datadog', recovered!)).toBe(fingerprintOf('datadog', triggered!));
    // The priority after the transition reads the same; P1 is critical.
    const swapped = fixture('datadog').replace('[P2] [Triggered on {service:patient-api}]', '[Triggered on {service:patient-api}] [P1]');
    const [p1] = parseDelivery(WEBHOOK_SOURCE_SPECS.datadog, Buffer.from(swapped));
    expect(p1).toMatchObject({ kind: 'KMS decrypt volume abnormal', severity: 'critical', labels: { scope: 'service:patient-api' } });
    // $DATE is epoch milliseconds: ten digits would be a date in 1970.
    expect(() => parseDelivery(WEBHOOK_SOURCE_SPECS.datadog, Buffer.from(fixture('datadog').replace('"1714651200000"', '"1714651200"')))).toThrow(/epoch milliseconds/);
  });

  test('GuardDuty via EventBridge: finding type, key, principal, caller IP, severity band', () => {
    const [finding] = parse('guardduty', 'guardduty');
    expect(finding).toMatchObject({
      kind: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
      severity: 'high', // 8.0
      status: 'firing',
      subject: { principal: 'svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', ips: ['198.51.100.23'] },
      labels: { account: '123456789012', region: 'us-east-1', resourceType: 'AccessKey' },
      observedAt: '2024-05-02T16:05:31Z',
    });
  });

  test('GuardDuty port probe: the probing addresses are the subject (what the edge runbook blocks)', () => {
    const event = JSON.parse(fixture('guardduty'));
    event.detail.type = 'Recon:EC2/PortProbeUnprotectedPort';
    event.detail.resource = { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0abc' } };
    event.detail.service.action = {
      actionType: 'PORT_PROBE',
      portProbeAction: {
        blocked: false,
        portProbeDetails: [
          { localPortDetails: { port: 22, portName: 'SSH' }, remoteIpDetails: { ipAddressV4: '203.0.113.9', country: { countryName: 'X' } } },
          { localPortDetails: { port: 3389, portName: 'RDP' }, remoteIpDetails: { ipAddressV4: '203.0.113.10' } },
          { localPortDetails: { port: 23, portName: 'TELNET' }, remoteIpDetails: { ipAddressV4: '203.0.113.9' } },
        ],
      },
    };
    const [finding] = parseDelivery(WEBHOOK_SOURCE_SPECS.guardduty, Buffer.from(JSON.stringify(event)));
    expect(finding).toMatchObject({ kind: 'Recon:EC2/PortProbeUnprotectedPort', subject: { ips: ['203.0.113.9', '203.0.113.10'] }, labels: { instanceId: 'i-0abc' } });
  });

  test('generic: several alerts in one delivery; normalised alerts keep no raw payload', () => {
    const alerts = parse('generic', 'generic');
    expect(alerts.map((a) => a.severity)).toEqual(['high', 'critical']);
    const normalised = alerts.map((a, i) => normalise('generic', a, 'raw/generic/abc', i, new Date('2024-05-02T12:00:00Z')));
    expect(normalised[0]!.fingerprint).toBe(normalised[1]!.fingerprint); // same kind and key: one incident
    expect(normalised[0]!.deliveryId).not.toBe(normalised[1]!.deliveryId);
    expect(normalised[0]).toMatchObject({ rawRef: 'raw/generic/abc', observedAt: '2024-05-02T11:00:00.000Z' });
    expect(JSON.stringify(normalised)).not.toContain('secret-scan-body');
  });

  test.each([
    ['alertmanager', '{"version":"3","alerts":[]}', 422, /alertmanager payload: version/],
    ['guardduty', fixture('guardduty').replace('"GuardDuty Finding"', '"GuardDuty Runtime Protection Healthy"'), 422, /GuardDuty Finding/],
    ['datadog', fixture('datadog').replace('"1714651200000"', '"yesterday"'), 422, /epoch milliseconds/],
    ['pagerduty', fixture('pagerduty-triggered').replace('"type": "incident"', '"type": "incidentish"'), 422, /event\.data|type/],
    ['generic', '{"kind":"X","severity":"loud","title":"t"}', 422, /severity/],
    ['generic', '{"kind":"X","severity":"high","title":"t","observedAt":"2024-02-31T00:00:00Z"}', 422, /./],
    ['grafana', '{"receiver": "x", ', 400, /not valid JSON \(at character \d+\)/],
    ['generic', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400, /not valid UTF-8/],
  ] as const)('%s: bad body #%# is refused with the right status', (source, body, status, message) => {
    let error: unknown;
    try {
      parseDelivery(WEBHOOK_SOURCE_SPECS[source], typeof body === 'string' ? Buffer.from(body) : body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(status);
    expect((error as HttpError).message).toMatch(message);
  });
});

describe('authentication', () => {
  const SECRET = 'a-secret-of-32-characters-000000';
  const OTHER = 'another-secret-of-32-chars-11111';
  const TOKEN = 'bearer-token-of-enough-length-22';
  const now = Math.floor(Date.now() / 1000);
  const auth = (over: Partial<SourceAuth> = {}): SourceAuth => ({ replayWindowSeconds: 300, allowUnauthenticated: false, ...over });
  const headers = (h: Record<string, string | undefined>) => (name: string) => h[name.toLowerCase()];
  const body = fixture('generic');
  const bytes = Buffer.from(body);
  const status = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      return (err as HttpError).status;
    }
  };

  test('generic: t=,v1= over "<t>.<body>" inside the replay window', () => {
    const ok = headers(signatureHeaders.generic(SECRET, body, now));
    expect(authenticate('generic', auth({ hmacSecret: SECRET }), ok, bytes, now)).toBe('signature');
    expect(status(() => authenticate('generic', auth({ hmacSecret: SECRET }), ok, bytes, now + 301))).toBe(401);
    expect(status(() => authenticate('generic', auth({ hmacSecret: SECRET }), ok, bytes, now - 301))).toBe(401);
    expect(status(() => authenticate('generic', auth({ hmacSecret: OTHER }), ok, bytes, now))).toBe(401);
    expect(status(() => authenticate('generic', auth({ hmacSecret: SECRET }), ok, Buffer.from(`${body} `), now))).toBe(401);
    // A replayed signature with a forged fresh timestamp no longer matches.
    const forged = signatureHeaders.generic(SECRET, body, now - 3600)['x-tourniquet-signature'].replace(`t=${now - 3600}`, `t=${now}`);
    expect(status(() => authenticate('generic', auth({ hmacSecret: SECRET }), headers({ 'x-tourniquet-signature': forged }), bytes, now))).toBe(401);
    expect(status(() => authenticate('generic', auth({ hmacSecret: SECRET }), headers({}), bytes, now))).toBe(401);
  });

  test('PagerDuty: any one of several v1 signatures (secret rotation) is enough', () => {
    const h = headers(signatureHeaders.pagerduty([OTHER, SECRET], body));
    expect(authenticate('pagerduty', auth({ hmacSecret: SECRET }), h, bytes, now)).toBe('signature');
    const wrong = headers(signatureHeaders.pagerduty([OTHER], body));
    expect(status(() => authenticate('pagerduty', auth({ hmacSecret: SECRET }), wrong, bytes, now))).toBe(401);
    expect(status(() => authenticate('pagerduty', auth({ hmacSecret: SECRET }), headers({ 'x-pagerduty-signature': 'v1=zz' }), bytes, now))).toBe(401);
  });

  test('Grafana: body signature, or "<timestamp>:<body>" with the replay window', () => {
    expect(authenticate('grafana', auth({ hmacSecret: SECRET }), headers(signatureHeaders.grafana(SECRET, body)), bytes, now)).toBe('signature');
    const timed = headers(signatureHeaders.grafana(SECRET, body, now));
    expect(authenticate('grafana', auth({ hmacSecret: SECRET }), timed, bytes, now)).toBe('signature');
    expect(status(() => authenticate('grafana', auth({ hmacSecret: SECRET }), timed, bytes, now + 600))).toBe(401);
  });

  test('bearer tokens for sources that do not sign; unauthenticated only where allowed', () => {
    const bearer = (t: string) => headers({ authorization: `Bearer ${t}` });
    expect(authenticate('alertmanager', auth({ bearerToken: TOKEN }), bearer(TOKEN), bytes, now)).toBe('token');
    expect(status(() => authenticate('alertmanager', auth({ bearerToken: TOKEN }), bearer(`${TOKEN}x`), bytes, now))).toBe(401);
    expect(status(() => authenticate('alertmanager', auth({ bearerToken: TOKEN }), headers({}), bytes, now))).toBe(401);
    expect(status(() => authenticate('datadog', auth(), headers({}), bytes, now))).toBe(401);
    expect(authenticate('datadog', auth({ allowUnauthenticated: true }), headers({}), bytes, now)).toBe('unauthenticated');
  });

  test('defaults: only generic on a loopback host is open; a configured secret always closes it', () => {
    const local = sourceAuthFrom(parseConfig({}));
    expect(local.generic.allowUnauthenticated).toBe(true);
    expect(local.alertmanager.allowUnauthenticated).toBe(false);
    const exposed = { host: '0.0.0.0', tls: { certPath: '/etc/tq/cert.pem', keyPath: '/etc/tq/key.pem' } };
    expect(sourceAuthFrom(parseConfig({ ingress: exposed })).generic.allowUnauthenticated).toBe(false);
    const fromEnv = loadConfig({ TOURNIQUET_SOURCE_GENERIC_SECRET: SECRET, TOURNIQUET_SOURCE_DATADOG_TOKEN: TOKEN }, '/');
    expect(fromEnv.sources.generic.hmacSecret).toBe(SECRET);
    expect(fromEnv.sources.datadog.bearerToken).toBe(TOKEN);
    expect(fromEnv.sources.datadog.replayWindowSeconds).toBe(300);
    expect(sourceAuthFrom(fromEnv).generic.allowUnauthenticated).toBe(false);
    expect(loadConfig({ TOURNIQUET_SOURCE_GRAFANA_ALLOW_UNAUTHENTICATED: 'false' }, '/').sources.grafana.allowUnauthenticated).toBe(false);
    expect(() => loadConfig({ TOURNIQUET_SOURCE_GENERIC_SECRET: 'short' }, '/')).toThrow(/sources\.generic\.hmacSecret \(TOURNIQUET_SOURCE_GENERIC_SECRET\)/);
  });
});

describe('principals as AWS reports them', () => {
  const one = (source: WebhookSource, body: unknown) => parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(JSON.stringify(body)))[0]!;
  const genericWith = (subject: unknown) => one('generic', { kind: 'LeakedAccessKey', severity: 'high', title: 't', subject });

  test.each([
    ['guardduty', { principal: 'svc-export', principalType: 'iam-user', accountId: '123456789012', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }],
    [
      'guardduty-assumed-role',
      {
        principal: 'patient-api-instance',
        principalType: 'assumed-role',
        sessionName: 'i-0abc12345def67890',
        accountId: '123456789012',
        accessKeyId: 'ASIAQ3EGVZK7EXAMPLE1',
        ips: ['198.51.100.23'],
      },
    ],
    ['guardduty-root', { principal: 'Root', principalType: 'root', accountId: '123456789012', accessKeyId: 'ASIAQ3EGVZK7EXAMPLE3', ips: ['198.51.100.23'] }],
    ['guardduty-federated', { principal: 'partner-portal', principalType: 'federated-user', accountId: '123456789012', accessKeyId: 'ASIAQ3EGVZK7EXAMPLE4', ips: ['198.51.100.23'] }],
  ])('GuardDuty %s: the subject names the principal by its type', (name, subject) => {
    const [finding] = parse('guardduty', name);
    expect(finding!.subject).toEqual(expect.objectContaining(subject));
    // GuardDuty names no ARN, and none is made up (an IAM user's path is not in the finding).
    expect(finding!.subject.principalArn).toBeUndefined();
  });

  test('fingerprints of alerts as they came before principal types are unchanged (running incidents keep their ids)', () => {
    // Computed by the version before principal types, from the same payloads.
    const before: Record<string, string> = {
      guardduty: '0aee14f80a10764f6bcae3ebd6f868df',
      'guardduty-assumed-role': '788970670e21bdc6d6654fdb9cecd16c',
      'guardduty-root': '659d2b8e0d9af7475950baffe6afdd85',
      'guardduty-federated': '496362ab985c014935c584080c838541',
    };
    for (const [name, fp] of Object.entries(before)) expect([name, fingerprintOf('guardduty', parse('guardduty', name)[0]!)]).toEqual([name, fp]);
    const without = (name: string, drop: string[]) => {
      const event = JSON.parse(fixture(name));
      for (const k of drop) delete event.detail.resource.accessKeyDetails[k];
      return fingerprintOf('guardduty', one('guardduty', event));
    };
    expect(without('guardduty-assumed-role', ['accessKeyId'])).toBe('caa8e34a6c4e74dc6c2d21414002e9e1');
    // The name is now read from the principal id; the fingerprint still uses the id as GuardDuty gave it.
    expect(without('guardduty-federated', ['accessKeyId', 'userName'])).toBe('0cc04a0ef8a16a1aa7467d2ec773f40d');
    const generic = (subject: object) => fingerprintOf('generic', genericWith(subject));
    expect(generic({ principal: 'svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe('eb394e7fde85750418efc2bf04ca9f97');
    expect(generic({ principal: 'arn:aws:iam::123456789012:user/ops/svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe('b57a1636bb7a0f33a2b4a37057083b34');
    expect(generic({ principal: 'arn:aws:sts::123456789012:assumed-role/patient-api-instance/i-0abc12345def67890' })).toBe('de20b68666c0d6bc991a42d1ebd8dd8b');
    expect(generic({ principal: 'arn:aws:iam::12345:user/x' })).toBe('82fa8ed01767632b98991136e4b75d2d');
    // Typing a principal does not split an incident either.
    expect(generic({ principal: 'svc-export', principalType: 'iam-user', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe('eb394e7fde85750418efc2bf04ca9f97');
  });

  test('generic: a principal ARN is parsed into name, type, session and account', () => {
    expect(genericWith({ principal: 'arn:aws:sts::123456789012:assumed-role/patient-api-instance/i-0abc12345def67890' }).subject).toEqual({
      principal: 'patient-api-instance',
      principalType: 'assumed-role',
      principalArn: 'arn:aws:sts::123456789012:assumed-role/patient-api-instance/i-0abc12345def67890',
      sessionName: 'i-0abc12345def67890',
      accountId: '123456789012',
    });
    expect(genericWith({ principalArn: 'arn:aws:iam::123456789012:root' }).subject).toMatchObject({ principal: 'root', principalType: 'root' });
  });

  test('generic: the type can be given explicitly; a word it does not know is refused', () => {
    expect(genericWith({ principal: 'partner-portal', principalType: 'federated-user', sessionIssuer: 'portal-broker' }).subject).toEqual({
      principal: 'partner-portal',
      principalType: 'federated-user',
      sessionIssuer: 'portal-broker',
    });
    expect(() => genericWith({ principal: 'svc', principalType: 'IAMUser' })).toThrow(/subject\.principalType/);
    expect(() => genericWith({ principal: 'svc', accountId: '1234' })).toThrow(/12-digit AWS account id/);
  });

  test('generic: a CloudTrail userIdentity, as a SIEM forwards it', () => {
    const role = genericWith({
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAQ3EGVZK7EXAMPLE2:i-0abc12345def67890',
        arn: 'arn:aws:sts::123456789012:assumed-role/patient-api-instance/i-0abc12345def67890',
        accountId: '123456789012',
        accessKeyId: 'ASIAQ3EGVZK7EXAMPLE1',
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAQ3EGVZK7EXAMPLE2', arn: 'arn:aws:iam::123456789012:role/patient-api-instance', accountId: '123456789012', userName: 'patient-api-instance' },
          webIdFederationData: {},
          attributes: { creationDate: '2024-05-02T16:00:00Z', mfaAuthenticated: 'false' },
        },
        ec2RoleDelivery: '2.0',
      },
    });
    expect(role.subject).toMatchObject({ principal: 'patient-api-instance', principalType: 'assumed-role', sessionName: 'i-0abc12345def67890', accessKeyId: 'ASIAQ3EGVZK7EXAMPLE1' });

    const federated = genericWith({
      userIdentity: {
        type: 'FederatedUser',
        principalId: '123456789012:partner-portal',
        arn: 'arn:aws:sts::123456789012:federated-user/partner-portal',
        accountId: '123456789012',
        sessionContext: { sessionIssuer: { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', arn: 'arn:aws:iam::123456789012:user/portal-broker', accountId: '123456789012', userName: 'portal-broker' } },
      },
    });
    expect(federated.subject).toMatchObject({ principal: 'partner-portal', principalType: 'federated-user', sessionIssuer: 'portal-broker', accountId: '123456789012' });

    const byRoot = genericWith({
      userIdentity: {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::123456789012:federated-user/tmp',
        sessionContext: { sessionIssuer: { type: 'Root', arn: 'arn:aws:iam::123456789012:root', accountId: '123456789012' } },
      },
    });
    expect(byRoot.subject).toMatchObject({ principalType: 'federated-user', sessionIssuer: 'arn:aws:iam::123456789012:root' });

    expect(genericWith({ userIdentity: { type: 'Root', principalId: '123456789012', arn: 'arn:aws:iam::123456789012:root', accountId: '123456789012' } }).subject).toMatchObject({
      principal: 'root',
      principalType: 'root',
    });
    expect(genericWith({ userIdentity: { type: 'AWSService', invokedBy: 'backup.amazonaws.com' } }).subject).toEqual({ principal: 'backup.amazonaws.com', principalType: 'aws-service' });
    // A principal the sender named wins over the identity.
    expect(genericWith({ principal: 'svc-export', userIdentity: { type: 'IAMUser', userName: 'other', arn: 'arn:aws:iam::123456789012:user/other' } }).subject).toMatchObject({
      principal: 'svc-export',
      principalType: 'iam-user',
    });
  });

  test('Prometheus-style labels: principal_arn, principal_type, account_id; iam_user says the type', () => {
    const am = (labels: Record<string, string>) => {
      const payload = JSON.parse(fixture('alertmanager'));
      payload.alerts = [{ ...payload.alerts[0], labels: { alertname: 'ExportVolumeAbnormal', ...labels } }];
      return one('alertmanager', payload).subject;
    };
    expect(am({ principal_arn: 'arn:aws:sts::123456789012:assumed-role/etl/nightly' })).toEqual({
      principal: 'etl',
      principalType: 'assumed-role',
      principalArn: 'arn:aws:sts::123456789012:assumed-role/etl/nightly',
      sessionName: 'nightly',
      accountId: '123456789012',
    });
    expect(am({ iam_user: 'svc-export' })).toEqual({ principal: 'svc-export', principalType: 'iam-user' });
    expect(am({ principal: 'etl', principal_type: 'AssumedRole', account_id: '123456789012' })).toEqual({ principal: 'etl', principalType: 'assumed-role', accountId: '123456789012' });
    expect(am({ user: 'svc-export' })).toEqual({ principal: 'svc-export', principalType: 'unknown' });
    expect(am({ principal_arn: 'arn:aws:iam::not-an-account:user/x' })).toEqual({});
    // Datadog tags go through the same labels.
    const dd = JSON.parse(fixture('datadog'));
    dd.tags = 'env:prod,principal_arn:arn:aws:iam::123456789012:user/svc-export';
    expect(one('datadog', dd).subject).toMatchObject({ principal: 'svc-export', principalType: 'iam-user' });
  });

  test('a Cognito user of the API: generic subject cognitoUser, or both Prometheus-style labels; each its own incident', () => {
    const user = { userPoolId: 'us-east-1_AbCdEf123', username: 'pat-0001' };
    expect(genericWith({ principal: 'svc-portal', cognitoUser: user }).subject).toEqual({ principal: 'svc-portal', principalType: 'unknown', cognitoUser: user });
    expect(() => genericWith({ cognitoUser: { userPoolId: 'AbCdEf123', username: 'pat-0001' } })).toThrow(/subject\.cognitoUser\.userPoolId: a Cognito user pool id/);
    expect(() => genericWith({ cognitoUser: { userPoolId: 'us-east-1_AbCdEf123', username: 'has space' } })).toThrow(/subject\.cognitoUser\.username: a Cognito user name/);
    // Named, never a token: a field beside the two is refused.
    expect(() => genericWith({ cognitoUser: { ...user, refreshToken: 'eyJ…' } })).toThrow(/refreshToken/);
    const am = (labels: Record<string, string>) => {
      const payload = JSON.parse(fixture('alertmanager'));
      payload.alerts = [{ ...payload.alerts[0], labels: { alertname: 'PortalAccountTakeover', ...labels } }];
      return one('alertmanager', payload).subject;
    };
    expect(am({ cognito_user_pool_id: user.userPoolId, cognito_username: user.username })).toEqual({ cognitoUser: user });
    expect(am({ cognito_user_pool_id: user.userPoolId })).toEqual({});
    expect(am({ cognito_user_pool_id: 'not a pool', cognito_username: user.username })).toEqual({});
    const generic = (subject: object) => fingerprintOf('generic', genericWith(subject));
    // Without a Cognito user the fingerprint is as before; two users are two incidents.
    expect(generic({ principal: 'svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe('eb394e7fde85750418efc2bf04ca9f97');
    expect(generic({ cognitoUser: user })).not.toBe(generic({ cognitoUser: { ...user, username: 'pat-0002' } }));
  });

  test('OAuth tokens in a generic alert: the alert keeps their fingerprints and the stored delivery, never a token', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.leaked-access-token.sig';
    const fp = `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
    const found = genericWith({ oauthTokens: { app: 'patient-portal', tokens: [token, token] } });
    // A token named twice is one token.
    expect(found.subject).toEqual({ oauthTokens: { app: 'patient-portal', fingerprints: [fp] } });
    const alert = normalise('generic', found, `raw/generic/${'ab'.repeat(32)}`, 0, new Date());
    expect(alert.subject.oauthTokens).toEqual({ app: 'patient-portal', fingerprints: [fp], rawRef: `raw/generic/${'ab'.repeat(32)}` });
    expect(JSON.stringify(alert)).not.toContain('leaked-access-token');
    // What is refused says which field, and never echoes the token.
    expect(() => genericWith({ oauthTokens: { app: 'patient-portal', tokens: ['has a space in it'] } })).toThrow(/subject\.oauthTokens\.tokens\.0: a token/);
    expect(() => genericWith({ oauthTokens: { app: 'patient-portal', tokens: [] } })).toThrow(/subject\.oauthTokens\.tokens/);
    expect(() => genericWith({ oauthTokens: { app: 'no spaces please', tokens: [token] } })).toThrow(/subject\.oauthTokens\.app: an application name/);
    // Fingerprints alone cannot be revoked: the sender gives the tokens.
    expect(() => genericWith({ oauthTokens: { app: 'patient-portal', fingerprints: [fp] } })).toThrow(/subject\.oauthTokens\.tokens: Invalid input: expected array/);
    // The same tokens are one incident; other tokens another; none: the fingerprint as before.
    const generic = (subject: object) => fingerprintOf('generic', genericWith(subject));
    expect(generic({ principal: 'svc-export', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe('eb394e7fde85750418efc2bf04ca9f97');
    expect(generic({ oauthTokens: { app: 'patient-portal', tokens: [token] } })).toBe(generic({ oauthTokens: { app: 'patient-portal', tokens: [token] } }));
    expect(generic({ oauthTokens: { app: 'patient-portal', tokens: [token] } })).not.toBe(generic({ oauthTokens: { app: 'patient-portal', tokens: [`${token}2`] } }));
  });

  test('the normaliser gives every principal a type, so runbooks can always pass it on', () => {
    const raw = { kind: 'X', severity: 'high' as const, status: 'firing' as const, title: 't', labels: {} };
    expect(normalise('generic', { ...raw, subject: { principal: 'svc' } }, 'raw/x', 0, new Date()).subject).toEqual({ principal: 'svc', principalType: 'unknown' });
    expect(normalise('generic', { ...raw, subject: {} }, 'raw/x', 0, new Date()).subject).toEqual({});
  });
});
