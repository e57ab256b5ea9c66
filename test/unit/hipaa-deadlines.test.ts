/**
 * The Breach Notification Rule (45 CFR 164.400–414) as tables: facts in, obligations out, one row
 * per paragraph and per boundary the rule text draws (more than 500, 500 or more, fewer than 10,
 * 60 calendar days, the end of the calendar year, 30 days for an oral statement).
 */
import {
  obligationsFor,
  rejectStatement,
  type BreachFacts,
  type ClockSettings,
  type LawEnforcementStatement,
  type Obligation,
} from '../../domain/hipaa';

const settings = (over: Partial<ClockSettings> = {}): ClockSettings => ({
  role: 'covered-entity',
  timeZone: 'UTC',
  reminderDays: [30, 14, 7, 3, 1],
  additional: [],
  ...over,
});

const facts = (over: Partial<BreachFacts> = {}): BreachFacts => ({
  discoveredAt: '2026-01-01',
  affected: 100,
  byState: {},
  insufficientContact: 0,
  lawEnforcement: [],
  ...over,
});

const byId = (obs: Obligation[]) => Object.fromEntries(obs.map((o) => [o.id, o]));
const deadlineOf = (f: Partial<BreachFacts>, s: Partial<ClockSettings> = {}, id = 'individuals') => byId(obligationsFor(facts(f), settings(s)))[id]?.deadline;

describe('164.404(b): individuals, no later than 60 calendar days after discovery', () => {
  test.each([
    ['an ordinary year', '2026-01-01', '2026-03-02'],
    ['a leap year: 29 February counts', '2024-01-01', '2024-03-01'],
    ['a leap year, mid-January', '2028-01-15', '2028-03-15'],
    ['the same day in a common year', '2026-01-15', '2026-03-16'],
    ['across the year end', '2026-12-15', '2027-02-13'],
    ['discovered on 31 December', '2026-12-31', '2027-03-01'],
    ['discovered on 29 February', '2028-02-29', '2028-04-29'],
  ])('%s: %s → %s', (_why, discoveredAt, deadline) => {
    expect(deadlineOf({ discoveredAt })).toBe(deadline);
  });

  test('the deadline passes when its day ends in the entity time zone', () => {
    const [ind] = obligationsFor(facts({ discoveredAt: '2026-03-01' }), settings({ timeZone: 'America/New_York' })).filter((o) => o.id === 'individuals');
    expect(ind!.deadline).toBe('2026-04-30');
    // 1 May 2026 00:00 EDT (UTC-4)
    expect(new Date(ind!.dueAt).toISOString()).toBe('2026-05-01T04:00:00.000Z');
    expect(ind!.rule).toBe('45 CFR 164.404(b)');
  });
});

describe('164.404(a)(2): the day of discovery is a calendar day in the entity time zone', () => {
  test.each([
    ['an instant late in the evening in New York is still the previous day there', '2026-03-01T02:00:00Z', 'America/New_York', '2026-04-29'],
    ['the same instant in UTC', '2026-03-01T02:00:00Z', 'UTC', '2026-04-30'],
    ['an offset is converted to the entity zone', '2026-02-28T23:30:00-05:00', 'UTC', '2026-04-30'],
    ['a local date-time (no offset) is read in the entity zone', '2026-02-28T23:30', 'America/New_York', '2026-04-29'],
    ['east of UTC the day starts earlier', '2026-02-28T20:00:00Z', 'Asia/Tokyo', '2026-04-30'],
  ])('%s', (_why, discoveredAt, timeZone, deadline) => {
    expect(deadlineOf({ discoveredAt }, { timeZone })).toBe(deadline);
  });
});

describe('164.406: media when MORE than 500 residents of a State or jurisdiction', () => {
  test.each([
    [{ CA: 500 }, []],
    [{ CA: 501 }, ['media:CA']],
    [{ CA: 501, TX: 500, NY: 700 }, ['media:CA', 'media:NY']],
    [{ CA: 400, TX: 400 }, []], // 800 overall, but no single State over 500
    [{ PR: 501 }, ['media:PR']], // a jurisdiction counts like a State
  ])('%j → %j', (byState, expected) => {
    const obs = obligationsFor(facts({ affected: 2000, discoveredAt: '2026-01-01', byState }), settings());
    const media = obs.filter((o) => o.kind === 'media-notice');
    expect(media.map((o) => o.id)).toEqual(expected);
    for (const o of media) {
      expect(o.deadline).toBe('2026-03-02');
      expect(o.rule).toBe('45 CFR 164.406(a)-(b)');
    }
  });
});

describe('164.408: the Secretary', () => {
  test.each([
    ['500 or more: contemporaneously, by the individual deadline', 500, '2026-05-01', 'hhs-notice', '2026-06-30', '45 CFR 164.408(b)'],
    ['499: the annual log, 60 days after the end of the calendar year', 499, '2026-05-01', 'hhs-annual-log', '2027-03-01', '45 CFR 164.408(c)'],
    ['the following year is a leap year: 29 February', 10, '2027-06-01', 'hhs-annual-log', '2028-02-29', '45 CFR 164.408(c)'],
    ['discovered on 1 January: still that year', 1, '2026-01-01', 'hhs-annual-log', '2027-03-01', '45 CFR 164.408(c)'],
    ['count not yet known: the earlier deadline holds', null, '2026-05-01', 'hhs-notice', '2026-06-30', '45 CFR 164.408(b)'],
  ])('%s', (_why, affected, discoveredAt, kind, deadline, rule) => {
    const hhs = byId(obligationsFor(facts({ affected, discoveredAt }), settings())).hhs!;
    expect([hhs.kind, hhs.deadline, hhs.rule]).toEqual([kind, deadline, rule]);
  });

  test('the calendar year is the one of the discovery day in the entity time zone', () => {
    // 03:00 UTC on 1 Jan 2027 is still 31 Dec 2026 in New York: the 2026 log, due 1 Mar 2027.
    expect(deadlineOf({ affected: 20, discoveredAt: '2027-01-01T03:00:00Z' }, { timeZone: 'America/New_York' }, 'hhs')).toBe('2027-03-01');
    expect(deadlineOf({ affected: 20, discoveredAt: '2027-01-01T03:00:00Z' }, { timeZone: 'UTC' }, 'hhs')).toBe('2028-02-29');
  });
});

describe('164.410: a business associate notifies the covered entity', () => {
  test.each([
    ['60 days without an agreement', undefined, '2026-03-02'],
    ['a shorter agreement deadline wins', 10, '2026-01-11'],
    ['an agreement cannot extend the 60 days', 90, '2026-03-02'],
  ])('%s', (_why, baAgreementDays, deadline) => {
    const obs = obligationsFor(facts({ byState: { CA: 900 }, insufficientContact: 20 }), settings({ role: 'business-associate', baAgreementDays }));
    // The covered entity, not the business associate, notifies individuals, media and the Secretary.
    expect(obs.map((o) => [o.id, o.deadline, o.rule])).toEqual([['covered-entity', deadline, '45 CFR 164.410(b)']]);
  });
});

describe('164.404(d)(2): substitute notice when contact information is insufficient', () => {
  test.each([
    [0, undefined],
    [1, '45 CFR 164.404(d)(2)(i)'],
    [9, '45 CFR 164.404(d)(2)(i)'],
    [10, '45 CFR 164.404(d)(2)(ii)'],
    [250, '45 CFR 164.404(d)(2)(ii)'],
  ])('%i individuals without contact → %s', (insufficientContact, rule) => {
    const sub = byId(obligationsFor(facts({ insufficientContact }), settings()))['substitute-notice'];
    expect(sub?.rule).toBe(rule);
    if (sub) expect(sub.deadline).toBe('2026-03-02');
    if (rule?.endsWith('(ii)')) expect(sub!.note).toMatch(/90 days.*toll-free/);
  });
});

describe('164.412: law-enforcement delay', () => {
  const written = (statedOn: string, until: string): LawEnforcementStatement => ({
    form: 'written', statedOn, until, official: 'Special Agent Doe', agency: 'FBI', reference: 'evidence/le-letter.pdf',
  });
  const oral = (statedOn: string): LawEnforcementStatement => ({
    form: 'oral', statedOn, official: 'Detective Roe', agency: 'City PD', reference: 'notes/call-2026-01-11.md',
  });

  test.each([
    ['(a) written: delayed for the period it specifies (30 days)', [written('2026-01-11', '2026-02-10')], '2026-04-01'],
    ['(a) written, 90 days', [written('2026-01-11', '2026-04-11')], '2026-05-31'],
    ['(b) oral: at most 30 days', [oral('2026-01-11')], '2026-04-01'],
    ['(b) oral followed within 30 days by a written statement: the written period holds', [oral('2026-01-11'), written('2026-02-01', '2026-03-13')], '2026-05-02'],
    ['(b) oral, then a written one after the 30 days lapsed: the gap is not delay', [oral('2026-01-11'), written('2026-02-20', '2026-03-13')], '2026-04-22'],
    ['a statement after the deadline passed cannot revive it', [written('2026-03-10', '2026-04-10')], '2026-03-02'],
    ['a statement made before discovery counts from discovery', [written('2025-12-20', '2026-01-11')], '2026-03-12'],
  ])('%s', (_why, lawEnforcement, deadline) => {
    const obs = byId(obligationsFor(facts({ lawEnforcement, affected: 700, byState: { CA: 600 } }), settings()));
    expect(obs.individuals!.deadline).toBe(deadline);
    // "a notification, notice, or posting required under this subpart": media and the Secretary too
    expect(obs['media:CA']!.deadline).toBe(deadline);
    expect(obs.hhs!.deadline).toBe(deadline);
  });

  test.each([
    ['a delay over before the year ends leaves the annual log alone', { discoveredAt: '2026-05-01T00:00:00Z', le: [written('2026-05-10', '2026-06-10')] }, '2027-03-01'],
    ['a delay reaching into the new year moves it by the days in the new year', { discoveredAt: '2026-11-01T00:00:00Z', le: [written('2026-11-10', '2027-01-11')] }, '2027-03-11'],
  ])('164.408(c) annual log: %s', (_why, { discoveredAt, le }, deadline) => {
    const hhs = byId(obligationsFor(facts({ discoveredAt, lawEnforcement: le, affected: 100 }), settings())).hhs!;
    expect(hhs.kind).toBe('hhs-annual-log');
    expect(hhs.deadline).toBe(deadline);
  });

  test('counts that disagree: more residents of a State than the total means the 500-or-more notice', () => {
    const hhs = byId(obligationsFor(facts({ affected: 300, byState: { CA: 600 } }), settings())).hhs!;
    expect(hhs.kind).toBe('hhs-notice');
  });

  test('the delay is recorded on the obligation', () => {
    const ind = byId(obligationsFor(facts({ lawEnforcement: [oral('2026-01-11')] }), settings())).individuals!;
    expect(ind.delayedDays).toBe(30);
  });

  test.each([
    ['written without a period', { ...written('2026-01-11', '2026-02-10'), until: undefined }, /specify the time/],
    ['oral without the official', { ...oral('2026-01-11'), official: ' ' }, /identity of the official/],
    ['oral claiming a period', { ...oral('2026-01-11'), until: '2026-05-01' }, /at most 30 days/],
    ['no reference', { ...oral('2026-01-11'), reference: '' }, /reference/],
  ])('documentation is required: %s', (_why, statement, message) => {
    expect(rejectStatement(statement as LawEnforcementStatement)).toMatch(message);
  });
  test('a complete statement is accepted', () => {
    expect(rejectStatement(written('2026-01-11', '2026-02-10'))).toBeUndefined();
    expect(rejectStatement(oral('2026-01-11'))).toBeUndefined();
  });
});

describe('additional clocks from configuration (state laws)', () => {
  const stateLaw = { name: 'state-x-30-day', days: 30, notifies: 'State X attorney general', states: ['CA'], minAffected: 1, roles: ['covered-entity' as const] };
  test.each([
    [{ CA: 1 }, '2026-01-31'],
    [{ CA: 0 }, undefined],
    [{ TX: 900 }, undefined],
  ])('%j → %s', (byState, deadline) => {
    expect(deadlineOf({ byState }, { additional: [stateLaw] }, 'additional:state-x-30-day')).toBe(deadline);
  });
  test('a federal law-enforcement delay does not move a state clock', () => {
    const lawEnforcement: LawEnforcementStatement[] = [{ form: 'oral', statedOn: '2026-01-05', official: 'A', agency: 'B', reference: 'C' }];
    expect(deadlineOf({ byState: { CA: 3 }, lawEnforcement }, { additional: [stateLaw] }, 'additional:state-x-30-day')).toBe('2026-01-31');
  });
  test('a clock for covered entities does not bind a business associate', () => {
    expect(deadlineOf({ byState: { CA: 3 } }, { additional: [stateLaw], role: 'business-associate' }, 'additional:state-x-30-day')).toBeUndefined();
  });
});

test('obligations come soonest first', () => {
  const obs = obligationsFor(
    facts({ affected: 50, byState: { CA: 10 } }),
    settings({ additional: [{ name: 'ten-day', days: 10, notifies: 'X', states: [], minAffected: 1, roles: ['covered-entity'] }] }),
  );
  expect(obs.map((o) => o.id)).toEqual(['additional:ten-day', 'individuals', 'hhs']);
});

test.each(['2026-02-30', '2026-13-01', 'yesterday', '2026-01-01T25:00:00Z'])('a discovery that is no date is refused: %s', (discoveredAt) => {
  expect(() => obligationsFor(facts({ discoveredAt }), settings())).toThrow(RangeError);
});
