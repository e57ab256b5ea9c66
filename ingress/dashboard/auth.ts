import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { singleEventId, type AuditSink } from '../../activities/audit-sink';
import { HttpError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A shared bearer token (the dashboard's, or the metrics scrape token). Compared in constant time
 * (on digests, so the length leaks nothing either). With no token configured nobody gets in.
 */
export function bearerToken(token: string | undefined, realm: 'dashboard' | 'metrics' = 'dashboard', audit?: AuditSink): MiddlewareHandler {
  const expected = token ? digest(token) : undefined;
  const signIns = signInLog(realm, audit);
  return async (c, next) => {
    if (!expected) throw new HttpError(401, `the ${realm} is disabled: set ${realm}.token (TOURNIQUET_${realm.toUpperCase()}_TOKEN)`, 'unauthorized');
    const presented = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', `Bearer realm="tourniquet-${realm}"`);
      await signIns.refused(c, presented ? 'wrong token' : 'no token');
      throw new HttpError(401, `a valid ${realm} token is required`, 'unauthorized');
    }
    await signIns.accepted(c);
    await next();
  };
}

/** A viewer polls every few seconds: a sign-in is recorded once per address and hour, every refusal always. */
const SIGN_IN_RECORDED_FOR_MS = 3_600_000;

function signInLog(realm: string, audit: AuditSink | undefined) {
  const recorded = new Map<string, number>();
  const address = (c: Context) => {
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'in-process';
    }
  };
  const append = (c: Context, what: string, reason?: string) =>
    audit?.append({ id: singleEventId('ingress'), who: `${realm}-token`, what, when: new Date().toISOString(), where: address(c), why: reason ? { reason } : {}, correlationId: `${realm}:${address(c)}` });
  return {
    refused: (c: Context, reason: string) => append(c, `${realm}.signin.refused`, reason),
    async accepted(c: Context) {
      const now = Date.now();
      const last = recorded.get(address(c));
      if (last !== undefined && now - last < SIGN_IN_RECORDED_FOR_MS) return;
      recorded.set(address(c), now);
      await append(c, `${realm}.signin`);
    },
  };
}
