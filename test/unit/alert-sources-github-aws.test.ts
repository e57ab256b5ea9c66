/**
 * GitHub (secret scanning, Dependabot, ping) and the AWS posture services through EventBridge
 * (Access Analyzer, Security Hub ASFF, Config, Inspector): each documented payload maps to the
 * alerts it carries, resolved events meet their incident, and GitHub's signature is checked as
 * GitHub documents it.
 */
import { authenticate, type SourceAuth } from '../../ingress/alerts/auth';
import { fingerprintOf, normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import { HttpError } from '../../ingress/errors';
import type { WebhookSource } from '../../platform/config';
import { fixture, signatureHeaders } from '../fixtures/alerts';

const parse = (source: WebhookSource, name: string) => parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(fixture(name)));
const parseBody = (source: WebhookSource, body: unknown) => parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(JSON.stringify(body)));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? `${err.status} ${err.message}` : String(err);
  }
  return 'accepted';
};

describe('GitHub', () => {
  test('ping (sent when the hook is made) is accepted and starts nothing', () => {
    expect(parse('github', 'github-ping')).toEqual([]);
  });

  test('secret scanning: an AWS key is a LeakedAccessKey, critical while GitHub finds it valid; resolved meets the same incident', () => {
    const [created] = parse('github', 'github-secret-scanning');
    expect(created).toMatchObject({
      kind: 'LeakedAccessKey',
      severity: 'critical',
      status: 'firing',
      subject: { service: 'patient-api' },
      labels: { repository: 'octo-org/patient-api', github_alert: '3', secret_type: 'aws_access_key_id', validity: 'active' },
      observedAt: '2024-05-02T11:00:00Z',
    });
    const event = JSON.parse(fixture('github-secret-scanning'));
    const resolved = parseBody('github', { ...event, action: 'resolved', alert: { ...event.alert, resolution: 'revoked', resolved_at: '2024-05-02T12:00:00Z', updated_at: '2024-05-02T12:00:00Z' } })[0]!;
    expect(resolved).toMatchObject({ status: 'resolved', observedAt: '2024-05-02T12:00:00Z' });
    expect(fingerprintOf('github', resolved)).toBe(fingerprintOf('github', created!));
    // Another secret type is a leaked secret, not the credential runbook's; an unknown validity is high.
    const slack = parseBody('github', { ...event, alert: { ...event.alert, secret_type: 'slack_api_token', validity: 'unknown' } })[0]!;
    expect(slack).toMatchObject({ kind: 'LeakedSecret', severity: 'high' });
    // Actions that change nothing about the exposure are accepted and map to nothing.
    expect(parseBody('github', { ...event, action: 'validated' })).toEqual([]);
  });

  test('the webhook never carries the secret: nothing but its type reaches the alert', () => {
    const event = JSON.parse(fixture('github-secret-scanning'));
    const [alert] = parseBody('github', { ...event, alert: { ...event.alert, secret: 'AKIAQ3EGVZK7NOTSENT1' } });
    expect(JSON.stringify(alert)).not.toContain('AKIAQ3EGVZK7NOTSENT1');
  });

  test('Dependabot: created fires with the advisory, fixed resolves the same incident', () => {
    const [created] = parse('github', 'github-dependabot');
    const [fixed] = parse('github', 'github-dependabot-fixed');
    expect(created).toMatchObject({
      kind: 'VulnerableDependency',
      severity: 'high',
      status: 'firing',
      subject: { service: 'patient-api' },
      labels: { package: 'jsonwebtoken', ecosystem: 'npm', advisory: 'GHSA-8cf7-32gw-wr33', cve: 'CVE-2022-23539', fixed_in: '9.0.0', manifest: 'package-lock.json' },
    });
    expect(fixed).toMatchObject({ status: 'resolved', labels: { resolution: 'fixed' } });
    expect(fingerprintOf('github', fixed!)).toBe(fingerprintOf('github', created!));
    const event = JSON.parse(fixture('github-dependabot'));
    expect(parseBody('github', { ...event, action: 'dismissed' })[0]).toMatchObject({ status: 'resolved', labels: { resolution: 'dismissed' } });
    expect(parseBody('github', { ...event, action: 'reintroduced' })[0]).toMatchObject({ status: 'firing' });
  });

  test('a redelivery (same body) is the same delivery; a later action of the same alert is a new one', () => {
    const body = fixture('github-dependabot');
    const first = normalise('github', parse('github', 'github-dependabot')[0]!, 'raw/github/a', 0, new Date());
    const again = normalise('github', parseDelivery(WEBHOOK_SOURCE_SPECS.github, Buffer.from(body))[0]!, 'raw/github/a', 0, new Date(Date.now() + 3_600_000));
    const fixed = normalise('github', parse('github', 'github-dependabot-fixed')[0]!, 'raw/github/b', 0, new Date());
    expect(again.deliveryId).toBe(first.deliveryId);
    expect(fixed.deliveryId).not.toBe(first.deliveryId);
  });

  test('other shapes are refused with the field that is wrong', () => {
    expect(refusal(() => parseBody('github', { action: 'created', alert: { number: 1 } }))).toMatch(/^422 not a github payload/);
    expect(refusal(() => parseBody('github', { zen: 'x' }))).toMatch(/^422 not a github payload: hook_id/);
  });

  describe('X-Hub-Signature-256', () => {
    const auth = (over: Partial<SourceAuth> = {}): SourceAuth => ({ replayWindowSeconds: 300, allowUnauthenticated: false, ...over });
    const headers = (h: Record<string, string | undefined>) => (name: string) => h[name.toLowerCase()];
    const status = (fn: () => unknown) => {
      try {
        return fn();
      } catch (err) {
        return (err as HttpError).status;
      }
    };

    test("GitHub's documented test vector verifies", () => {
      // docs.github.com, "Validating webhook deliveries": secret, payload and signature as published.
      const h = headers({ 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' });
      expect(authenticate('github', auth({ hmacSecret: "It's a Secret to Everybody" }), h, Buffer.from('Hello, World!'), 0)).toBe('signature');
    });

    test('a wrong secret, a changed body, a missing prefix or header is 401', () => {
      const secret = 'github-webhook-secret-0123456789';
      const body = fixture('github-secret-scanning');
      const ok = signatureHeaders.github(secret, body);
      expect(authenticate('github', auth({ hmacSecret: secret }), headers(ok), Buffer.from(body), 0)).toBe('signature');
      expect(status(() => authenticate('github', auth({ hmacSecret: `${secret}x` }), headers(ok), Buffer.from(body), 0))).toBe(401);
      expect(status(() => authenticate('github', auth({ hmacSecret: secret }), headers(ok), Buffer.from(`${body} `), 0))).toBe(401);
      const bare = ok['x-hub-signature-256'].slice('sha256='.length);
      expect(status(() => authenticate('github', auth({ hmacSecret: secret }), headers({ 'x-hub-signature-256': bare }), Buffer.from(body), 0))).toBe(401);
      // The SHA-1 header GitHub also sends is not accepted alone.
      expect(status(() => authenticate('github', auth({ hmacSecret: secret }), headers({ 'x-hub-signature': `sha1=${'0'.repeat(40)}` }), Buffer.from(body), 0))).toBe(401);
    });
  });
});

describe('EventBridge: AWS posture findings', () => {
  test('Access Analyzer: a public bucket is the subject; archived resolves it', () => {
    const [finding] = parse('eventbridge', 'eventbridge-access-analyzer');
    expect(finding).toMatchObject({
      kind: 'AccessAnalyzer/Public/AWS::S3::Bucket',
      severity: 'high',
      status: 'firing',
      subject: { accountId: '123456789012', bucket: 'patient-exports' },
    });
    const event = JSON.parse(fixture('eventbridge-access-analyzer'));
    const archived = parseBody('eventbridge', { ...event, detail: { ...event.detail, status: 'ARCHIVED', updatedAt: '2024-05-03T00:00:00Z' } })[0]!;
    expect(archived.status).toBe('resolved');
    expect(fingerprintOf('eventbridge', archived)).toBe(fingerprintOf('eventbridge', finding!));
  });

  test('Security Hub (ASFF): kind names the control, the security group is the subject, PASSED resolves', () => {
    const [finding] = parse('eventbridge', 'eventbridge-securityhub');
    expect(finding).toMatchObject({ kind: 'SecurityHub/EC2.19', severity: 'critical', status: 'firing', subject: { securityGroupId: 'sg-0123456789abcdef0' } });
    const event = JSON.parse(fixture('eventbridge-securityhub'));
    const f = event.detail.findings[0];
    const passed = parseBody('eventbridge', { ...event, detail: { findings: [{ ...f, Compliance: { ...f.Compliance, Status: 'PASSED' }, UpdatedAt: '2024-05-03T00:00:00Z' }] } })[0]!;
    expect(passed.status).toBe('resolved');
    expect(fingerprintOf('eventbridge', passed)).toBe(fingerprintOf('eventbridge', finding!));
  });

  test('Config: NON_COMPLIANT fires on the bucket, COMPLIANT resolves, NOT_APPLICABLE says nothing', () => {
    const [finding] = parse('eventbridge', 'eventbridge-config');
    expect(finding).toMatchObject({ kind: 'Config/s3-bucket-public-read-prohibited', status: 'firing', subject: { bucket: 'patient-exports' } });
    const event = JSON.parse(fixture('eventbridge-config'));
    const result = (complianceType: string) => ({ ...event, detail: { ...event.detail, newEvaluationResult: { ...event.detail.newEvaluationResult, complianceType } } });
    expect(parseBody('eventbridge', result('COMPLIANT'))[0]).toMatchObject({ status: 'resolved' });
    expect(parseBody('eventbridge', result('NOT_APPLICABLE'))).toEqual([]);
  });

  test('Inspector: a package vulnerability is a VulnerableDependency of the tagged service; CLOSED resolves', () => {
    const [finding] = parse('eventbridge', 'eventbridge-inspector');
    const [closed] = parse('eventbridge', 'eventbridge-inspector-closed');
    expect(finding).toMatchObject({
      kind: 'VulnerableDependency',
      severity: 'high',
      subject: { service: 'patient-api' },
      labels: { cve: 'CVE-2022-23539', package: 'jsonwebtoken', fixed_in: '9.0.0', resourceType: 'AWS_EC2_INSTANCE' },
      observedAt: '2024-05-02T11:00:00Z',
    });
    expect(closed!.status).toBe('resolved');
    expect(fingerprintOf('eventbridge', closed!)).toBe(fingerprintOf('eventbridge', finding!));
  });

  test('another detail-type is refused, naming what is accepted', () => {
    const other = fixture('eventbridge-config').replace('"Config Rules Compliance Change"', '"Config Configuration Item Change"');
    expect(refusal(() => parseDelivery(WEBHOOK_SOURCE_SPECS.eventbridge, Buffer.from(other)))).toMatch(/^422 .*Access Analyzer, Security Hub, Config and Inspector2/);
  });
});

describe('GuardDuty S3 protection', () => {
  test('an Impact:S3 finding names its bucket, for the ransomware runbook to protect', () => {
    const event = JSON.parse(fixture('guardduty'));
    event.detail.type = 'Impact:S3/MaliciousIPCaller';
    event.detail.resource.resourceType = 'S3Bucket';
    event.detail.resource.s3BucketDetails = [{ name: 'claims-store', arn: 'arn:aws:s3:::claims-store', type: 'Destination' }];
    const [finding] = parseBody('guardduty', event);
    expect(finding).toMatchObject({ kind: 'Impact:S3/MaliciousIPCaller', subject: { bucket: 'claims-store', principal: 'svc-export' } });
  });
});
