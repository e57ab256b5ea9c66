import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_SOURCES, type Config, type WebhookSource } from '../../platform/config';
import { isLoopbackHost } from '../../platform/secure-url';
import { HttpError } from '../errors';

/**
 * Who may post alerts for a source. Sources that sign deliveries are verified with their HMAC
 * scheme; any source may instead carry `Authorization: Bearer <token>`. Comparisons are
 * constant-time; signed timestamps outside the replay window are refused.
 */
export interface SourceAuth {
  hmacSecret?: string;
  bearerToken?: string;
  replayWindowSeconds: number;
  allowUnauthenticated: boolean;
}

export type Headers = (name: string) => string | undefined;

interface SignedDelivery {
  /** the hex digests offered (several while a secret is rotated) */
  signatures: string[];
  /** what was signed */
  signedPayload: Buffer;
  /** unix seconds the sender signed at, when the scheme signs a timestamp */
  timestamp?: number;
}

/** How each signing source presents its signature; a source missing here authenticates with a token. */
const SIGNATURE_SCHEMES: Partial<Record<WebhookSource, (headers: Headers, body: Uint8Array) => SignedDelivery | undefined>> = {
  // Ours: `X-Tourniquet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
  generic: (headers, body) => {
    const header = headers('x-tourniquet-signature');
    if (!header) return undefined;
    const parts = header.split(',').map((p) => p.trim());
    const t = parts.find((p) => p.startsWith('t='))?.slice(2) ?? '';
    const timestamp = /^\d{1,12}$/.test(t) ? Number(t) : NaN;
    return {
      signatures: parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3)),
      signedPayload: Buffer.concat([Buffer.from(`${t}.`), body]),
      timestamp,
    };
  },
  // PagerDuty V3: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>[,v1=…]`.
  pagerduty: (headers, body) => {
    const header = headers('x-pagerduty-signature');
    if (!header) return undefined;
    const signatures = header.split(',').map((p) => p.trim()).filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
    return { signatures, signedPayload: Buffer.from(body) };
  },
  // GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. GitHub signs no
  // timestamp; a redelivery is the same body, which attaches once, so a replay changes nothing.
  github: (headers, body) => {
    const header = headers('x-hub-signature-256');
    if (!header) return undefined;
    const sig = header.trim();
    return { signatures: sig.startsWith('sha256=') ? [sig.slice('sha256='.length)] : [], signedPayload: Buffer.from(body) };
  },
  // Grafana: hex HMAC-SHA256 in `X-Grafana-Alerting-Signature`, of "<timestamp>:<body>" when the
  // contact point's timestamp header is set to `X-Grafana-Alerting-Timestamp`, else of the body.
  grafana: (headers, body) => {
    const header = headers('x-grafana-alerting-signature');
    if (!header) return undefined;
    const t = headers('x-grafana-alerting-timestamp');
    if (t === undefined) return { signatures: [header.trim()], signedPayload: Buffer.from(body) };
    return {
      signatures: [header.trim()],
      signedPayload: Buffer.concat([Buffer.from(`${t}:`), body]),
      timestamp: /^\d{1,12}$/.test(t) ? Number(t) : NaN,
    };
  },
};

/** Each source's effective policy; unauthenticated generic alerts are the out-of-the-box local default. */
export function sourceAuthFrom(config: Config): Record<WebhookSource, SourceAuth> {
  const entries = WEBHOOK_SOURCES.map((name) => [name, config.sources[name]] as const).map(([name, s]) => {
    const allow = s.allowUnauthenticated ?? (name === 'generic' && isLoopbackHost(config.ingress.host));
    return [name, { ...s, allowUnauthenticated: allow && !s.hmacSecret && !s.bearerToken }];
  });
  return Object.fromEntries(entries) as Record<WebhookSource, SourceAuth>;
}

const unauthorized = (message: string) => new HttpError(401, message, 'unauthorized');

/** Equal-length buffers compared in constant time; hashing first hides the expected length. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function validSignature(secret: string, delivery: SignedDelivery): boolean {
  const expected = createHmac('sha256', secret).update(delivery.signedPayload).digest();
  return delivery.signatures.some((sig) => {
    if (!/^[0-9a-f]{64}$/i.test(sig)) return false;
    return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
  });
}

/** Throws 401 unless the delivery is authentic; returns how it was authenticated. */
export function authenticate(
  source: WebhookSource,
  auth: SourceAuth,
  headers: Headers,
  body: Uint8Array,
  nowSeconds: number,
): 'signature' | 'token' | 'unauthenticated' {
  const scheme = SIGNATURE_SCHEMES[source];
  const signed = auth.hmacSecret && scheme ? scheme(headers, body) : undefined;
  if (signed && auth.hmacSecret) {
    if (!validSignature(auth.hmacSecret, signed)) throw unauthorized('signature does not match');
    if (signed.timestamp !== undefined) {
      if (!Number.isFinite(signed.timestamp) || Math.abs(nowSeconds - signed.timestamp) > auth.replayWindowSeconds) {
        throw unauthorized(`signed timestamp is outside the ${auth.replayWindowSeconds}s replay window`);
      }
    }
    return 'signature';
  }
  const authorization = headers('authorization');
  if (auth.bearerToken && authorization) {
    const token = /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1] ?? '';
    if (!sameSecret(token, auth.bearerToken)) throw unauthorized('bearer token does not match');
    return 'token';
  }
  if (auth.allowUnauthenticated) return 'unauthenticated';
  if (!auth.hmacSecret && !auth.bearerToken) throw unauthorized(`no credentials are configured for source "${source}"`);
  throw unauthorized(auth.hmacSecret && scheme ? 'missing signature' : 'missing bearer token');
}
