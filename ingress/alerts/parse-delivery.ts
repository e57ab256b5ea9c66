import { z } from 'zod';
import { HttpError } from '../errors';
import { clip, readCleanJson } from './clean-json';
import type { SourceAlert } from './normalise';
import type { AlertSourceSpec } from './sources';

/** The issue a sender can act on: inside a union, the branch that came closest to matching. */
function telling(issues: z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  const issue = issues[0];
  if (issue?.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  const inner = telling(closest);
  return inner ? { ...inner, path: [...issue.path, ...inner.path] } : issue;
}

function shapeError(source: string, error: z.ZodError): HttpError {
  const issue = telling(error.issues);
  // Record keys are the sender's text, and zod quotes unknown ones: both are cut short.
  const where = clip(issue?.path.length ? issue.path.join('.') : 'body');
  return new HttpError(422, `not a ${source} payload: ${where}: ${clip(issue?.message ?? 'invalid', 300)}`, 'invalid_payload');
}

/**
 * A verified body to the alerts it carries, strictly: a body that is not clean JSON is 400
 * (clean-json.ts), a shape the source does not document is 422. Pure, so every parser can be
 * fuzzed without a server.
 */
export function parseDelivery(spec: AlertSourceSpec, body: Uint8Array): SourceAlert[] {
  const parsed = spec.schema.safeParse(readCleanJson(body));
  if (!parsed.success) throw shapeError(spec.name, parsed.error);
  let alerts: SourceAlert[];
  try {
    alerts = spec.toAlerts(parsed.data);
  } catch (err) {
    // A mapping may validate a nested part only once it knows the event's type.
    if (err instanceof z.ZodError) throw shapeError(spec.name, err);
    throw err;
  }
  // A well-formed timestamp can still name no real instant (e.g. 31 February).
  const unreal = alerts.findIndex((a) => a.observedAt !== undefined && Number.isNaN(Date.parse(a.observedAt)));
  if (unreal !== -1) throw new HttpError(422, `not a ${spec.name} payload: alert ${unreal} has an impossible timestamp`, 'invalid_payload');
  return alerts;
}
