/**
 * The breach clock's messages, declared once: the incident (which starts it), the CLI, Slack and
 * the dashboard import these, so names and payload types cannot drift.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type {
  BreachFacts,
  CalendarDate,
  ClockSettings,
  LawEnforcementStatement,
  Obligation,
  ObligationProgress,
  RiskAssessment,
} from '../domain/hipaa';
import type { DecisionProof } from '../domain/decision-proof';

export const BREACH_CLOCK_WORKFLOW = 'breachClockWorkflow';

export { breachClockId } from '../domain/ids';

/** Facts that change as they are learned. Counts only: names and records of individuals never enter the clock. */
export interface FactsChange {
  affected?: number | null;
  byState?: Record<string, number>;
  insufficientContact?: number;
}

export interface BreachClockInput {
  /** the workflow id, `breach-clock/<fingerprint>` */
  id: string;
  incidentId: string;
  /** ISO date or date-time of discovery (45 CFR 164.404(a)(2)) */
  discoveredAt: string;
  facts?: FactsChange;
  /**
   * a clock a person started (on any incident): the ingress's grant for `clock.start` on this
   * clock, and why; a clock an incident starts has none
   */
  started?: { proof: DecisionProof; reason: string };
  /**
   * a drill's clock (never a real one: its id is `breach-clock/exercise-…`): its own time runs
   * `timeScale` times faster than the wall clock from its start, so a 60-day deadline can be
   * rehearsed in an hour; unset: real time
   */
  exercise?: { timeScale: number };
  /** unset: the worker's configuration, read once when the clock starts and kept */
  settings?: ClockSettings;
  carried?: CarriedClock;
  /** continue as new past this many history events (the server's own suggestion also counts) */
  historyLimit?: number;
}

/** A person's record on the clock: the ingress's grant for exactly this update (its actor is the grant's). */
export interface ClockRequest {
  proof: DecisionProof;
  /** requests recorded before decision proofs named their actor; never accepted anew */
  by?: string;
}

export interface RecordFactsRequest extends ClockRequest, FactsChange {
  reason?: string;
}

export interface LawEnforcementRequest extends ClockRequest {
  statement: LawEnforcementStatement;
}

export interface NoticeSentRequest extends ClockRequest {
  obligationId: string;
  sentOn: CalendarDate;
  /** where the proof of the notice is kept (evidence store key, ticket, letter) */
  evidence: string;
}

/**
 * 45 CFR 164.404(a)(2): a breach is discovered on the first day it is known, or by exercising
 * reasonable diligence would have been known, to any workforce member or agent. A correction moves
 * discovery earlier (never later: the clock ran from what was known) and recomputes every deadline.
 */
export interface DiscoveryCorrectionRequest extends ClockRequest {
  /** ISO date or date-time */
  discoveredAt: string;
  reason: string;
}

export interface RiskAssessmentRequest extends ClockRequest {
  assessment: RiskAssessment;
}

export interface NoticeRecord {
  obligationId: string;
  kind: Obligation['kind'];
  notifies: string;
  rule: string;
  deadline: CalendarDate;
  sentOn: CalendarDate;
  evidence: string;
  by: string;
  recordedAt: string;
  late: boolean;
}

export type ObligationStatus = 'pending' | 'overdue' | 'sent' | 'not-required';
export type ClockStatus = 'open' | 'overdue' | 'closed' | 'closed-no-notification';

export interface ObligationView extends Obligation {
  status: ObligationStatus;
  /** as of `asOf`; a caller with a clock of its own recomputes from `dueAt` */
  daysLeft: number;
}

/** What the clock did and was told, kept with it (164.414(b): the burden of proof is ours). */
export interface ClockChange {
  at: string;
  by: string;
  what: string;
  message: string;
}

export interface ClockView {
  id: string;
  incidentId: string;
  status: ClockStatus;
  discoveryDate: CalendarDate;
  settings: ClockSettings;
  facts: BreachFacts;
  obligations: ObligationView[];
  notices: NoticeRecord[];
  riskAssessment?: RiskAssessment;
  changes: ClockChange[];
  /** the soonest deadline still open, ISO instant */
  nextDeadline?: string;
  /** workflow time of the view: a query answers as of the clock's last step, not the caller's now */
  asOf: string;
}

export interface CarriedClock {
  settings: ClockSettings;
  facts: BreachFacts;
  notices: NoticeRecord[];
  riskAssessment?: RiskAssessment;
  progress: Record<string, ObligationProgress>;
  changes: ClockChange[];
  /** decision grants already spent */
  usedGrants?: [string, number][];
  /** an exercise clock's start (epoch ms), from which its compressed time counts */
  exerciseOrigin?: number;
}

export const clockQuery = defineQuery<ClockView>('clock');

export const recordFactsUpdate = defineUpdate<ClockView, [RecordFactsRequest]>('recordFacts');
export const recordLawEnforcementDelayUpdate = defineUpdate<ClockView, [LawEnforcementRequest]>('recordLawEnforcementDelay');
export const recordNoticeSentUpdate = defineUpdate<ClockView, [NoticeSentRequest]>('recordNoticeSent');
export const correctDiscoveryUpdate = defineUpdate<ClockView, [DiscoveryCorrectionRequest]>('correctDiscovery');
export const recordRiskAssessmentUpdate = defineUpdate<ClockView, [RiskAssessmentRequest]>('recordRiskAssessment');

/** Kept current by the clock, so listing open clocks is a visibility query. */
export const clockNextDeadlineKey = defineSearchAttributeKey('TourniquetNextDeadline', SearchAttributeType.DATETIME);
export const clockStatusKey = defineSearchAttributeKey('TourniquetClockStatus', SearchAttributeType.KEYWORD);
/** the calendar year of discovery: the HHS log of small breaches is kept per year (164.408(c)) */
export const clockDiscoveryYearKey = defineSearchAttributeKey('TourniquetDiscoveryYear', SearchAttributeType.INT);
export const CLOCK_SEARCH_ATTRIBUTE_KEYS = [clockNextDeadlineKey, clockStatusKey, clockDiscoveryYearKey];
