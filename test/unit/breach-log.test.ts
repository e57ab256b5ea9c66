/** The annual HHS log (164.408(c)) lists breaches under 500; a risk-assessed non-breach is not one. */
import { smallBreachLog } from '../../domain/hipaa';
import type { ClockView } from '../../workflows/breach-clock-definitions';

function clock(id: string, status: ClockView['status']): ClockView {
  return {
    id,
    incidentId: `incident/${id}`,
    status,
    discoveryDate: '2026-05-01',
    settings: { role: 'covered-entity', timeZone: 'UTC', reminderDays: [], additional: [] },
    facts: { discoveredAt: '2026-05-01', affected: 40, byState: { CA: 40 }, insufficientContact: 0, lawEnforcement: [] },
    obligations: [{ id: 'hhs', kind: 'hhs-annual-log', notifies: 'HHS', deadline: '2027-03-01', rule: '45 CFR 164.408(c)', dueAt: 0, status: 'pending', daysLeft: 300 }],
    notices: [],
    changes: [],
    asOf: '2026-05-02T00:00:00.000Z',
  } as ClockView;
}

test('open and closed breaches are listed; a clock closed by a low-risk assessment is not', () => {
  const rows = smallBreachLog([clock('a', 'open'), clock('b', 'closed-no-notification'), clock('c', 'closed')]);
  expect(rows.map((r) => r.clock)).toEqual(['a', 'c']);
  expect(rows[0]).toMatchObject({ affected: 40, states: ['CA'], dueToHhs: '2027-03-01', submittedToHhs: null });
});
