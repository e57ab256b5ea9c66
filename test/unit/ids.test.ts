import { breachClockId, breachClockIdFromUser, incidentIdFor, incidentIdFromUser, stepScopedId, stepScopeOf } from '../../domain/ids';

test.each([
  ['playbook', 'incident/fp1', 'revoke-key', 'playbook/fp1/revoke-key'],
  ['block-expiry', 'incident/fp1', 'block', 'block-expiry/fp1/block'],
  ['key-deletion', 'fp2', 'revoke', 'key-deletion/fp2/revoke'],
  ['key-retirement', 'incident/manual-abc', 'rotate-key', 'key-retirement/manual-abc/rotate-key'],
  ['undo', 'incident/fp1', 'block', 'undo/fp1/block'],
] as const)('%s id of %s/%s is %s, and reads back', (kind, incident, step, id) => {
  expect(stepScopedId(kind, incident, step)).toBe(id);
  expect(stepScopeOf(id)).toEqual({ kind, incidentId: incidentIdFor(incident.replace(/^incident\//, '')), stepId: step });
});

test.each(['incident/fp1', 'breach-clock/fp1', 'nonsense', 'playbook/', 'playbook/fp1', 'other/fp1/step'])('%s is not step-scoped', (id) => {
  expect(stepScopeOf(id)).toBeUndefined();
});

test('people may type ids with or without their prefix', () => {
  expect(incidentIdFromUser('fp1')).toBe('incident/fp1');
  expect(incidentIdFromUser('incident/fp1')).toBe('incident/fp1');
  expect(breachClockId('incident/fp1')).toBe('breach-clock/fp1');
  expect(breachClockIdFromUser('fp1')).toBe('breach-clock/fp1');
  expect(breachClockIdFromUser('breach-clock/fp1')).toBe('breach-clock/fp1');
  expect(breachClockIdFromUser('incident/fp1')).toBe('breach-clock/fp1');
});
