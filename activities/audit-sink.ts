import { randomUUID } from 'node:crypto';

/** One security-relevant event. `when` is UTC with milliseconds. */
export interface AuditEvent {
  /**
   * stable id of the event (workflow events: `<runId>/<n>`; an activity's: fixed by what it
   * records): a retried batch appends each id once.
   */
  id: string;
  /** user id, `alert:<source>`, `worker`, `ingress` */
  who: string;
  /** e.g. `incident.opened`, `approval.granted`, `aws.iam.deactivate-key` */
  what: string;
  when: string;
  /** source IP, Slack user, service */
  where: string;
  /** incident, step, justification */
  why: { incident?: string; step?: string; justification?: string; reason?: string };
  correlationId: string;
  details?: Record<string, unknown>;
}

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
  /** several events in order, written and made durable together */
  appendAll?(events: AuditEvent[]): Promise<void>;
}

/**
 * The id of an event recorded once, where it happens (a request refused, a sign-in): nothing
 * retries it as a batch, so a fresh id is its identity. `origin` says which process wrote it.
 */
export const singleEventId = (origin: string): string => `${origin}/${randomUUID()}`;
