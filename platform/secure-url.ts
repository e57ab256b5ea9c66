import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Loopback names and addresses (localhost, 127.0.0.0/8, ::1): traffic to them never leaves the
 * machine, so they are the one place plain HTTP is allowed. Alert payloads and tokens can carry
 * ePHI, and the HIPAA Security Rule's transmission safeguard (45 CFR 164.312(e)) wants them
 * encrypted on every network hop.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.split('.')[0] === '127';
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname === '[::1]';
  return false;
}

/** Why a URL may not carry our traffic, or undefined when it may: https, or http to a loopback address. */
export function insecureUrlReason(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') {
    if (isLoopbackHost(parsed.hostname)) return undefined;
    return `http://${parsed.host} would travel unencrypted: use https (plain http only to a loopback address)`;
  }
  return `must be an https URL (got ${parsed.protocol.replace(/:$/, '')})`;
}

/** A setting naming somewhere Tourniquet sends requests: https, or http to loopback (a local stand-in). */
export const secureUrl = z
  .string()
  .url()
  .superRefine((url, ctx) => {
    const reason = insecureUrlReason(url);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  });

/** Why the ingress may not listen on `host` without TLS, or undefined when it may. */
export function plainHttpRefusal(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return (
    `${host} is not a loopback address, and plain HTTP there would carry webhook tokens and ` +
    'alert payloads unencrypted: set ingress.tls.certPath and ingress.tls.keyPath ' +
    '(TOURNIQUET_TLS_CERT_PATH, TOURNIQUET_TLS_KEY_PATH), or bind 127.0.0.1'
  );
}
