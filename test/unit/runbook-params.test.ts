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
])('%s', (_, params, expected, missing) => {
  const result = resolveParams(params, context);
  expect(result.params).toEqual(expected);
  expect(result.missing).toEqual(missing);
});
