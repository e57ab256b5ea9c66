/**
 * The log of breaches affecting fewer than 500 individuals that a covered entity keeps and submits
 * to the Secretary within 60 days after the end of each calendar year (45 CFR 164.408(c)).
 */
import type { CalendarDate } from './calendar';
import type { BreachFacts } from './facts';
import type { Obligation } from './obligations';
import type { RiskAssessment } from './risk-assessment';

/** What the log reads of a breach clock (its ClockView has all of it). */
export interface ClockForLog {
  id: string;
  incidentId: string;
  status: string;
  discoveryDate: CalendarDate;
  facts: Pick<BreachFacts, 'affected' | 'byState'>;
  obligations: Pick<Obligation, 'id' | 'kind' | 'deadline'>[];
  notices: { obligationId: string; sentOn: CalendarDate; evidence: string }[];
  riskAssessment?: Pick<RiskAssessment, 'conclusion'>;
}

/** The HHS log rows of a year: breaches under 500 (164.408(c)), with what was submitted. */
export function smallBreachLog(views: ClockForLog[]) {
  return views
    // A documented low probability of compromise is not a breach (164.402(2)): not for the log.
    .filter((v) => v.status !== 'closed-no-notification' && v.obligations.some((o) => o.kind === 'hhs-annual-log'))
    .map((v) => {
      const hhs = v.obligations.find((o) => o.id === 'hhs')!;
      const submitted = v.notices.find((n) => n.obligationId === 'hhs');
      const individuals = v.notices.find((n) => n.obligationId === 'individuals');
      return {
        clock: v.id,
        incident: v.incidentId,
        discovered: v.discoveryDate,
        affected: v.facts.affected,
        states: Object.keys(v.facts.byState).filter((s) => (v.facts.byState[s] ?? 0) > 0),
        individualsNotified: individuals ? individuals.sentOn : null,
        dueToHhs: hhs.deadline,
        submittedToHhs: submitted ? { sentOn: submitted.sentOn, evidence: submitted.evidence } : null,
        clockStatus: v.status,
        riskAssessment: v.riskAssessment?.conclusion ?? null,
      };
    });
}

