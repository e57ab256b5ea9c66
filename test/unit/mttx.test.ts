import type { IncidentState, StepState } from '../../domain/incident';
import { aggregate, aggregateCsv, incidentTimes, NO_RELEASE, percentile } from '../../domain/mttx';
import { anAlert } from '../support/alerts';

const CONTAINS = new Set(['revokeCredentials', 'blockTraffic', 'webhook']);
const isContainment = (type: string) => CONTAINS.has(type);
const at = (minutes: number, day = '2027-01-10') => new Date(Date.parse(`${day}T08:00:00Z`) + minutes * 60_000).toISOString();

function step(type: string, status: StepState['status'], finishedMin: number, day?: string): StepState {
  return { id: `${type}-${finishedMin}`, type, status, approvals: [], finishedAt: at(finishedMin, day) };
}

/** An incident opened at 08:00 on `day`, observed `detect` minutes before. */
function incident(id: string, o: { day?: string; release?: string; detect: number; ack?: number; contain?: number; resolve?: number; noAction?: number; failed?: boolean; steps?: StepState[] }): IncidentState {
  const day = o.day ?? '2027-01-10';
  return {
    id: `incident/${id}`,
    title: '',
    severity: 'high',
    status: o.resolve !== undefined ? 'resolved' : o.noAction !== undefined ? 'closed-no-action' : 'containing',
    openedAt: at(0, day),
    firstObservedAt: at(-o.detect, day),
    ...(o.ack !== undefined ? { acknowledgedAt: at(o.ack, day), acknowledgedBy: 'U1' } : {}),
    ...(o.resolve !== undefined ? { resolvedAt: at(o.resolve, day) } : o.noAction !== undefined ? { resolvedAt: at(o.noAction, day) } : {}),
    requester: 'alert:generic',
    alerts: [anAlert({ labels: o.release ? { release: o.release } : {} })],
    alertCount: 1,
    resolvedAlerts: 0,
    steps: o.steps ?? (o.contain !== undefined ? [step('notify', 'succeeded', 1, day), step('revokeCredentials', 'succeeded', o.contain, day)] : []),
    escalated: o.failed ?? false,
    notes: 0,
  };
}

const MIN = 60;

test('per incident: detect from the earliest observed time, acknowledge, first successful containment, resolve', () => {
  const t = incidentTimes(
    incident('a', { detect: 12, ack: 3, resolve: 90, steps: [step('notify', 'succeeded', 1), step('blockTraffic', 'failed', 5), step('revokeCredentials', 'succeeded', 20), step('webhook', 'succeeded', 9)] }),
    isContainment,
  );
  expect(t).toEqual({ id: 'incident/a', severity: 'high', release: NO_RELEASE, detectedAt: '2027-01-10T08:00:00.000Z', outcome: 'failed', mttd: 12 * MIN, mtta: 3 * MIN, mttc: 9 * MIN, mttr: 90 * MIN });
  // Not acknowledged, not contained, closed as no-action: only what it reached, counted as no-action.
  expect(incidentTimes(incident('b', { detect: 0, noAction: 30 }), isContainment)).toEqual({ id: 'incident/b', severity: 'high', release: NO_RELEASE, detectedAt: '2027-01-10T08:00:00.000Z', outcome: 'no-action', mttd: 0 });
  // An acknowledgement only on the timeline (incidents from before it was kept) still counts.
  expect(incidentTimes(incident('c', { detect: 1 }), isContainment, [{ at: at(7), kind: 'incident.acknowledged', message: '', actor: 'U1' }]).mtta).toBe(7 * MIN);
  // A release label that is prose is no release.
  expect(incidentTimes(incident('d', { detect: 1, release: 'the one after lunch' }), isContainment).release).toBe(NO_RELEASE);
});

test('nearest-rank percentiles', () => {
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
  expect(percentile([4], 0.9)).toBe(4);
  expect(percentile([1, 2, 3], 0.5)).toBe(2);
});

/** Release 2.3: slow. Release 2.4: faster, but one failed and one was noise. */
const INCIDENTS = [
  incident('r23-1', { day: '2027-01-10', release: 'v2.3.0', detect: 30, ack: 10, contain: 40, resolve: 120 }),
  incident('r23-2', { day: '2027-01-12', release: 'v2.3.0', detect: 50, ack: 20, contain: 60, resolve: 240 }),
  incident('r23-3', { day: '2027-01-20', release: 'v2.3.0', detect: 10, ack: 30, contain: 20, resolve: 60 }),
  incident('r24-1', { day: '2027-02-02', release: 'v2.4.0', detect: 5, ack: 2, contain: 10, resolve: 30 }),
  incident('r24-2', { day: '2027-02-03', release: 'v2.4.0', detect: 15, ack: 4, failed: true, steps: [step('revokeCredentials', 'failed', 6, '2027-02-03')] }),
  incident('r24-3', { day: '2027-02-04', release: 'v2.4.0', detect: 1, noAction: 8 }),
  incident('none-1', { day: '2027-01-31', detect: 2, ack: 1, contain: 3, resolve: 4 }),
];

test('per release: exact mean, p50, p90 and count of each measure; failed and no-action incidents counted', () => {
  const groups = aggregate(INCIDENTS.map((s) => incidentTimes(s, isContainment)), 'release');
  expect(groups.map((g) => g.key)).toEqual(['v2.3.0', NO_RELEASE, 'v2.4.0']);
  const [r23, none, r24] = groups;
  expect(r23).toEqual({
    key: 'v2.3.0',
    incidents: 3,
    outcomes: { open: 0, resolved: 3, 'no-action': 0, failed: 0 },
    measures: {
      mttd: { count: 3, mean: 30 * MIN, p50: 30 * MIN, p90: 50 * MIN },
      mtta: { count: 3, mean: 20 * MIN, p50: 20 * MIN, p90: 30 * MIN },
      mttc: { count: 3, mean: 40 * MIN, p50: 40 * MIN, p90: 60 * MIN },
      mttr: { count: 3, mean: 140 * MIN, p50: 120 * MIN, p90: 240 * MIN },
    },
  });
  expect(r24).toEqual({
    key: 'v2.4.0',
    incidents: 3,
    outcomes: { open: 0, resolved: 1, 'no-action': 1, failed: 1 },
    measures: {
      mttd: { count: 3, mean: 7 * MIN, p50: 5 * MIN, p90: 15 * MIN },
      mtta: { count: 2, mean: 3 * MIN, p50: 2 * MIN, p90: 4 * MIN },
      mttc: { count: 1, mean: 10 * MIN, p50: 10 * MIN, p90: 10 * MIN },
      mttr: { count: 1, mean: 30 * MIN, p50: 30 * MIN, p90: 30 * MIN },
    },
  });
  expect(none!.measures.mttr).toEqual({ count: 1, mean: 4 * MIN, p50: 4 * MIN, p90: 4 * MIN });
});

test('per month, and as CSV', () => {
  const groups = aggregate(INCIDENTS.map((s) => incidentTimes(s, isContainment)), 'month');
  expect(groups.map((g) => [g.key, g.incidents, g.measures.mttr?.count, g.measures.mttr?.mean])).toEqual([
    ['2027-01', 4, 4, ((120 + 240 + 60 + 4) / 4) * MIN],
    ['2027-02', 3, 1, 30 * MIN],
  ]);
  const csv = aggregateCsv(groups, 'month').split('\n');
  expect(csv[0]).toBe('month,measure,count,mean_seconds,p50_seconds,p90_seconds,incidents,resolved,no_action,failed,open');
  expect(csv).toContain('2027-01,mttr,4,6360,3600,14400,4,4,0,0,0');
  expect(csv).toContain('2027-02,mttc,1,600,600,600,3,1,1,1,0');
  expect(csv).toContain('2027-02,mtta,2,180,120,240,3,1,1,1,0');
});
