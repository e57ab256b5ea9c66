import { resolveParams } from '../../domain/runbook';
import { anAlert } from '../support/alerts';

const alert = anAlert({ subject: { principal: 'svc-export', accessKeyId: 'AKIA1', ips: ['198.51.100.7', '203.0.113.0/24'] } });
const context = { alert, incident: { id: 'incident/abc', severity: 'high' as const } };

test.each([
  ['a whole reference keeps its type', { cidrs: '${alert.subject.ips}' }, { cidrs: ['198.51.100.7', '203.0.113.0/24'] }, []],
  ['an embedded reference is stringified', { text: 'user ${alert.subject.principal} on ${incident.id}' }, { text: 'user svc-export on incident/abc' }, []],
  ['references inside lists and objects', { keys: ['${alert.subject.accessKeyId}'], who: { p: '${alert.subject.principal}' } }, { keys: ['AKIA1'], who: { p: 'svc-export' } }, []],
  ['literals pass through', { n: 7, flag: true, s: 'plain' }, { n: 7, flag: true, s: 'plain' }, []],
  ['a missing reference is reported', { key: '${alert.subject.kmsKeyId}' }, { key: undefined }, ['alert.subject.kmsKeyId']],
  ['a missing embedded reference is reported', { text: 'key ${alert.subject.kmsKeyId}' }, { text: 'key ' }, ['alert.subject.kmsKeyId']],
  ['a missing optional reference is not reported', { issuer: '${alert.subject.sessionIssuer?}' }, { issuer: undefined }, []],
  ['a present optional reference resolves as any other', { p: '${alert.subject.principal?}', ips: '${alert.subject.ips?}' }, { p: 'svc-export', ips: ['198.51.100.7', '203.0.113.0/24'] }, []],
  ['a missing optional reference in a list is dropped', { keys: ['${alert.subject.kmsKeyId?}', 'AKIA2'] }, { keys: ['AKIA2'] }, []],
  ['a missing optional embedded reference is empty', { text: 'issuer [${alert.subject.sessionIssuer?}]' }, { text: 'issuer []' }, []],
  ['only the references without ? are required', { a: '${alert.subject.kmsKeyId?}', b: '${alert.subject.service}' }, { a: undefined, b: undefined }, ['alert.subject.service']],
  ['a question mark elsewhere is literal text', { text: 'ready? ${alert.subject.principal}?' }, { text: 'ready? svc-export?' }, []],
])('%s', (_, params, expected, missing) => {
  const result = resolveParams(params, context);
  expect(result.params).toEqual(expected);
  expect(result.missing).toEqual(missing);
});
