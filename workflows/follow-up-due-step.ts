/**
 * recordFollowUpDue: the date a finding's fix is due, by its severity, on the incident's timeline.
 * Computed in the workflow from the step's own parameters (pure: domain/follow-up-due.ts), so it
 * needs no activity. The durable follow-up with reminders is the post-incident follow-up workflow's.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { followUpDue, type DueBySeverity } from '../domain/follow-up-due';
import type { RunbookStep } from '../domain/runbook';
import type { StepInput, StepOutcome } from '../activities/step';

export async function recordFollowUpDue(_step: RunbookStep, input: StepInput): Promise<StepOutcome> {
  const { severity, from, dueBySeverity, what } = input.params as { severity?: unknown; from?: unknown; dueBySeverity?: unknown; what?: unknown };
  try {
    const due = followUpDue(String(severity), String(from), (dueBySeverity ?? {}) as DueBySeverity);
    const subject = typeof what === 'string' && what.length > 0 ? `${what}: ` : '';
    return { summary: `${subject}fix due by ${due.due.slice(0, 10)} (${due.severity}: within ${due.within} of ${due.from.slice(0, 10)})` };
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`recordFollowUpDue: ${(err as Error).message}`, 'ValidationError');
  }
}
