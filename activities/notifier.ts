import type { ChatMessageRef, IncidentState } from '../domain/incident';

/** An approval being asked for: what will change, who may approve, by when. */
export interface ApprovalAsk {
  incidentId: string;
  incidentTitle: string;
  stepId: string;
  stepType: string;
  plan: string[];
  planHash: string;
  group: string;
  approvers: number;
  requester: string;
  /** the group mentioned after the first timeout, if any */
  escalation?: string;
  /** the runbook's RACI consulted groups, mentioned on the request (they do not decide) */
  consulted?: string[];
}

export interface Escalation {
  incidentId: string;
  group?: string;
  stepId?: string;
  message: string;
  /** post here instead of the incident's channel (the compliance channel of a due drill) */
  channel?: string;
}

/** A response target of the severity policy passed unmet (domain/severity-policy.ts). PHI-free: ids and names. */
export interface TargetMiss {
  incidentId: string;
  level: string;
  target: string;
  /** the level's duration for it, as configured */
  within: string;
  dueAt: string;
  /** the group mentioned; unset: the responders */
  group?: string;
  /** the on-call is being paged as well */
  paging: boolean;
}

export interface AnnounceOptions {
  /**
   * A retry of the announcing activity: an earlier attempt may have posted the message and then
   * died before the workflow learnt its ref, so look for it before posting another.
   */
  retried?: boolean;
}

/**
 * Where Tourniquet talks to people. Slack implements it; without Slack the log does, so
 * Tourniquet still runs (approvals then come from the CLI).
 */
export interface Notifier {
  /**
   * Post the incident's message, or update it in place when `state.slack` names it. Returns the
   * message's ref when there is one, for the workflow to remember across worker restarts.
   */
  announce(state: IncidentState, opts?: AnnounceOptions): Promise<ChatMessageRef | undefined>;
  requestApproval(ask: ApprovalAsk): Promise<void>;
  escalate(escalation: Escalation): Promise<void>;
  /** a missed response target, told where the incident is discussed (its thread or channel) */
  targetMissed(miss: TargetMiss): Promise<void>;
  /** a free-form message from a `notify` step */
  post(incidentId: string, text: string): Promise<void>;
}

export interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export function logNotifier(log: LogLike): Notifier {
  return {
    async announce(state) {
      log.info({ incident: state.id, status: state.status, steps: state.steps.map((s) => `${s.id}:${s.status}`), ...(state.raci?.informed.length ? { informed: state.raci.informed } : {}) }, 'incident');
      return undefined;
    },
    async requestApproval(ask) {
      log.warn({ incident: ask.incidentId, step: ask.stepId, group: ask.group, ...(ask.consulted ? { consulted: ask.consulted } : {}), plan: ask.plan }, 'approval needed: tourniquet approve');
    },
    async escalate(escalation) {
      log.warn({ incident: escalation.incidentId, step: escalation.stepId, group: escalation.group }, escalation.message);
    },
    async targetMissed(miss) {
      log.warn({ incident: miss.incidentId, level: miss.level, target: miss.target, group: miss.group, paging: miss.paging }, `${miss.level} ${miss.target} target (${miss.within}) missed`);
    },
    async post(incidentId, text) {
      log.info({ incident: incidentId }, text);
    },
  };
}
