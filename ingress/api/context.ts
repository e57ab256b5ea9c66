import { getConnInfo } from '@hono/node-server/conninfo';
import type { Client } from '@temporalio/client';
import type { Context } from 'hono';
import type { z } from 'zod';
import { fingerprintOf, incidentIdFor } from '../../domain/ids';
import type { Decider } from '../decisions';
import { HttpError } from '../errors';
import type { Operator, OperatorAuthenticator } from '../identity/operator';
import type { AccessSettings } from '../../platform/access-config';

/** What the operator API's handlers need: Temporal, the decider (authority + grants), sign-in. */
export interface OperatorApiDeps {
  client: Client;
  taskQueue: string;
  decider: Decider;
  authenticate: OperatorAuthenticator;
  /** break-glass profiles and principals; unset: /access answers 404 */
  access?: AccessSettings;
  /** where runbooks (and their scenarios) are: `POST /drills` looks scenarios up there */
  runbooksDir?: string;
}

export type ApiEnv = { Variables: { operator: Operator } };
export type ApiContext = Context<ApiEnv>;

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process';
  }
}

/** The JSON body, parsed by the route's schema; a bad one is 400 naming the field and changes nothing. */
export async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError(400, 'the body must be JSON', 'bad_request');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`, 'bad_request');
  }
  return parsed.data;
}

const ID = /^[\w.:-]+$/;

/** `incident/<fingerprint>` from a path segment (the fingerprint, or the whole id URL-encoded). */
export function incidentIdParam(segment: string): string {
  const fingerprint = fingerprintOf(decodeURIComponent(segment));
  if (!ID.test(fingerprint)) throw new HttpError(400, 'not an incident id', 'bad_request');
  return incidentIdFor(fingerprint);
}

export function stepParam(segment: string): string {
  const step = decodeURIComponent(segment);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(step)) throw new HttpError(400, 'not a step id', 'bad_request');
  return step;
}
