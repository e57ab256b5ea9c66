/**
 * One run of an incident workflow: its state and timeline, and the ways things leave it — the audit
 * outbox and Slack announces (one background loop, so handlers stay synchronous and a storm of
 * alerts coalesces into one message update), status moves, telling people, continue-as-new.
 * Deterministic: every side effect is an activity.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AuditEvent } from '../../activities/audit-sink';
import { auditOutbox, historyFull, type Outbox, type WorkflowAuditEvent } from '../outbox';
import type { IncidentEvent, IncidentState, StepState, TimelineEntry } from '../../domain/incident';
import { isTerminal, nextStatus } from '../../domain/incident';
import { describeWrite } from '../../domain/ledger';
import type { PinnedRunbook, RunbookStep } from '../../domain/runbook';
import { resolveParams, stepsOf } from '../../domain/runbook';
import { WITHHOLD_FREE_TEXT, withholderFor } from '../../domain/display';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { incidentStatusKey, type CarriedIncident, type IncidentInput } from '../definitions';
import { DecisionGuard } from '../decision-guard';
import type { SeverityPolicy } from '../../domain/severity-policy';
import { failureMessage, isControlFlow } from './failures';

export const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** The audit log must not lose a record: a full disk or a held lock is waited out, not given up on. */
const auditActs = proxyActivities<Pick<Activities, 'recordAudit'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '5 minutes' },
});

const DEFAULT_HISTORY_LIMIT = 10_000;
/** After Slack refuses an announce, the next one waits this long, doubling up to the cap. */
const ANNOUNCE_BACKOFF_MS = 30_000;
const ANNOUNCE_BACKOFF_CAP_MS = 30 * 60_000;

export type Told<T> = { sent: true; value: T } | { sent: false };

export type StepDecision = 'retry' | 'skip';

function blankState(input: IncidentInput, now: string): IncidentState {
  return {
    id: input.id,
    title: '',
    severity: 'info',
    status: 'open',
    openedAt: now,
    firstObservedAt: now,
    requester: input.requester,
    alerts: [],
    alertCount: 0,
    resolvedAlerts: 0,
    steps: [],
    escalated: false,
    notes: 0,
  };
}

export class IncidentRun {
  readonly state: IncidentState;
  readonly timeline: TimelineEntry[];
  readonly seenDeliveries: Set<string>;
  approverGroups: Record<string, string[]>;
  pinned: PinnedRunbook | undefined;
  /** steps whose approval timed out once: the escalation group may decide too */
  readonly escalatedSteps = new Set<string>();
  /** a person's decision on a halted step, taken when the runbook comes back to it */
  readonly stepDecisions = new Map<string, StepDecision>();
  /** the running runbook, cancelled when a person resolves the incident */
  runbookScope: CancellationScope | undefined;
  /** set by the lifecycle: incidents from before this rule moved to containing before any step */
  containmentAtFirstStep = false;
  /** checks every person's decision (keys from prepareIncident or the decisionKeys activity) */
  readonly decisions: DecisionGuard;
  /** the severity policy from prepareIncident (or carried); absent in incidents from before it */
  severityPolicy: SeverityPolicy | undefined;
  /** the response targets being watched (incident/targets.ts), awaited before the run ends */
  targetWatch: Promise<void> | undefined;
  /** a missed target being told or paged: a continue-as-new waits for it */
  targetsBusy = 0;

  /** The background loop: audit batches first, then at most one announce, backed off on refusal. */
  private readonly outbox: Outbox<WorkflowAuditEvent>;
  private announceWanted: boolean;
  private announcePaused = false;
  private announceFailures = 0;
  /** telling failures already on the record: a Slack that keeps refusing is recorded once */
  private readonly toldFailures: Set<string>;
  private readonly historyLimit: number;

  constructor(readonly input: IncidentInput) {
    // Only a run this workflow continued into may carry state: a client that starts an incident with
    // a made-up `carried` (a pinned runbook of its own, approvals already given) gets a fresh one.
    const carried = workflowInfo().continuedFromExecutionRunId ? input.carried : undefined;
    this.state = carried?.state ?? blankState(input, this.now());
    this.timeline = carried?.timeline ?? [];
    this.seenDeliveries = new Set(carried?.seenDeliveries ?? []);
    this.approverGroups = carried?.approverGroups ?? {};
    this.pinned = carried?.pinned;
    this.toldFailures = new Set(carried?.toldFailures ?? []);
    this.announceWanted = carried?.announcePending ?? false;
    this.historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.decisions = new DecisionGuard(carried?.usedGrants);
    this.severityPolicy = carried?.severity;
    const announceDue = () => this.announceWanted && !this.announcePaused;
    /** Takes a due announce request; true when there is a message to send (the incident has alerts). */
    const takeAnnounce = () => {
      const due = announceDue();
      if (due) this.announceWanted = false;
      return due && this.state.alertCount > 0;
    };
    const recordBatch = (batch: AuditEvent[]) => (batch.length > 0 ? auditActs.recordAudit(batch) : undefined);
    // A fresh incident's first records and message wait (up to 10 s) for its runbook, then go
    // out with its first step: one workflow task before the first action instead of three.
    let first = !carried;
    this.outbox = auditOutbox(async (batch) => {
      if (first) {
        first = false;
        if (patched('first-action-fast')) {
          await condition(() => this.pinned !== undefined || this.state.escalated || isTerminal(this.state.status), '10 seconds');
          const send = takeAnnounce();
          await Promise.all([recordBatch(batch), send ? this.announce() : undefined]);
          return;
        }
      }
      // The message is decided once the batch is on the ledger: what changed meanwhile (a contain
      // target met in the same task as the containment) rides on this update, not one of its own.
      // Before this rule the decision came first, and most incidents sent a third message.
      if (patched('announce-after-audit')) {
        await recordBatch(batch);
        if (takeAnnounce()) await this.announce();
        return;
      }
      const send = takeAnnounce();
      await recordBatch(batch);
      if (send) await this.announce();
    }, announceDue);
  }

  now(): string {
    return new Date().toISOString();
  }

  /**
   * The timeline and the audit log hold what people and examiners read: the alerts' free text
   * (domain/display.ts) is withheld from every message, whichever error or step text quoted it.
   * `where`: the origin of a person's decision (the grant's `via`); the worker's own records say `worker`.
   */
  record(kind: string, text: string, actor: string, why: AuditEvent['why'] = {}, { announce = true, where = 'worker', ledger = true } = {}): void {
    const at = this.now();
    const message = this.withhold(text);
    this.timeline.push({ at, kind, message, actor });
    // What is already on the ledger (an AWS write, recorded by its activity) goes on the timeline only.
    if (ledger) this.outbox.push({
      who: actor,
      what: kind,
      when: at,
      where,
      why: { incident: this.state.id, ...why, ...this.withheldWhy(why) },
      correlationId: this.state.id,
      details: { message },
    });
    if (announce) this.announceWanted = true;
  }

  private withholding: { alerts: number; withhold: (text: string) => string } | undefined;

  private withhold(text: string): string {
    if (this.withholding?.alerts !== this.state.alertCount) {
      this.withholding = { alerts: this.state.alertCount, withhold: withholderFor(this.state.alerts, WITHHOLD_FREE_TEXT) };
    }
    return this.withholding.withhold(text);
  }

  /** What people typed (a justification, a reason) can repeat an alert's free text too. */
  private withheldWhy(why: AuditEvent['why']): Partial<AuditEvent['why']> {
    const out: Partial<AuditEvent['why']> = {};
    if (why.justification !== undefined) out.justification = this.withhold(why.justification);
    if (why.reason !== undefined) out.reason = this.withhold(why.reason);
    return out;
  }

  /** Asks for the incident message to be updated without a record (a storm's counters). */
  wantAnnounce(): void {
    this.announceWanted = true;
  }

  move(event: IncidentEvent, actor: string, why: AuditEvent['why'] = {}, where = 'worker'): void {
    const state = this.state;
    const next = nextStatus(state.status, event);
    if (!next) return;
    this.record('incident.status', `${state.status} → ${next}`, actor, why, { where });
    state.status = next;
    if (next === 'contained') state.containedAt = this.now();
    if (next === 'recovered') state.recoveredAt = this.now();
    if (next === 'resolved' || next === 'closed-no-action') state.resolvedAt = this.now();
    upsertSearchAttributes([{ key: incidentStatusKey, value: next }]);
  }

  stepState(step: RunbookStep): StepState {
    let found = this.state.steps.find((s) => s.id === step.id);
    if (!found) {
      found = { id: step.id, type: step.type, status: 'pending', approvals: [] };
      this.state.steps.push(found);
    }
    return found;
  }

  pinnedStep(stepId: string): RunbookStep | undefined {
    return this.pinned ? stepsOf(this.pinned.runbook).find((s) => s.id === stepId) : undefined;
  }

  /** The AWS writes a step (or its undo) reported: kept with the step, and each on the timeline. */
  noteWrites(st: StepState, writes: string[] | undefined): void {
    if (!writes?.length) return;
    st.writes = [...(st.writes ?? []), ...writes];
    for (const id of writes) this.record('aws.write', describeWrite(id), 'worker', { step: st.id }, { announce: false, ledger: false });
  }

  /** A step's parameters from the latest alert; references the alerts do not provide are listed. */
  resolveStepParams(step: RunbookStep): { params: Record<string, unknown>; missing: string[] } {
    const alert = this.state.alerts[this.state.alerts.length - 1]!;
    return resolveParams(step.with, { alert, incident: { id: this.state.id, severity: this.state.severity } });
  }

  /**
   * Telling people is best effort: a Slack that refuses for good (bot not in the channel, a revoked
   * token) is recorded once per distinct failure, and the incident goes on.
   */
  async tell<T>(what: string, send: () => Promise<T>): Promise<Told<T>> {
    try {
      return { sent: true, value: await send() };
    } catch (err) {
      if (isControlFlow(err)) throw err;
      const message = `could not send ${what}: ${failureMessage(err)}`;
      // Before this rule, the failure record itself asked for an announce: a refusing Slack looped.
      if (!patched('quiet-notify-failures')) {
        this.record('notify.failed', message, 'worker');
        return { sent: false };
      }
      if (!this.toldFailures.has(message)) {
        this.toldFailures.add(message);
        this.record('notify.failed', message, 'worker', {}, { announce: false });
      }
      return { sent: false };
    }
  }

  private async announce(): Promise<void> {
    const told = await this.tell('the incident message', () => acts.announceIncident(this.state));
    if (told.sent) {
      if (told.value) this.state.slack = told.value;
      this.announceFailures = 0;
      return;
    }
    if (!patched('announce-backoff')) return;
    // Try again later with whatever changed meanwhile; alerts keep arriving but wait their turn.
    this.announceFailures += 1;
    this.announceWanted = true;
    this.announcePaused = true;
    const wait = Math.min(ANNOUNCE_BACKOFF_MS * 2 ** (this.announceFailures - 1), ANNOUNCE_BACKOFF_CAP_MS);
    void sleep(wait).then(() => void (this.announcePaused = false));
  }

  /** Nothing left to send (an announce paused by a refusing Slack does not hold the run open). */
  quiet(): boolean {
    return this.outbox.quiet() && (!this.announceWanted || this.announcePaused) && this.targetsBusy === 0;
  }

  async settled(): Promise<void> {
    await condition(() => allHandlersFinished() && this.quiet());
  }

  historyFull(): boolean {
    return historyFull(this.historyLimit);
  }

  async carryOn(): Promise<never> {
    await this.settled();
    const next: CarriedIncident = {
      state: this.state,
      timeline: this.timeline,
      seenDeliveries: [...this.seenDeliveries],
      approverGroups: this.approverGroups,
      pinned: this.pinned,
      toldFailures: [...this.toldFailures],
      announcePending: this.announceWanted,
      usedGrants: this.decisions.carry(),
      ...(this.severityPolicy ? { severity: this.severityPolicy } : {}),
    };
    return continueAsNew<(input: IncidentInput) => Promise<IncidentState>>({ ...this.input, carried: next });
  }
}
