import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError, type Config } from '../platform/config';

/** The PEM files the ingress serves HTTPS with (`ingress.tls.*`). */
export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

/** NIST SP 800-52r2, which HHS points to for data in transit, sets TLS 1.2 as the floor; 1.3 is offered too. */
export const MIN_TLS_VERSION = 'TLSv1.2';

export function tlsFilesOf(config: Config): TlsFiles | undefined {
  const { certPath, keyPath } = config.ingress.tls ?? {};
  return certPath && keyPath ? { certPath, keyPath } : undefined;
}

function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The files as server options, checked now: a key that does not match its certificate is a start-up error. */
export function tlsOptions(files: TlsFiles): SecureContextOptions {
  const options: SecureContextOptions = {
    cert: readPem(files.certPath, 'ingress.tls.certPath (TOURNIQUET_TLS_CERT_PATH)'),
    key: readPem(files.keyPath, 'ingress.tls.keyPath (TOURNIQUET_TLS_KEY_PATH)'),
    minVersion: MIN_TLS_VERSION,
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`ingress.tls: ${files.certPath} and ${files.keyPath} are not a usable certificate and key (${(err as Error).message})`);
  }
  return options;
}

export interface ReloadEvents {
  reloaded?(): void;
  failed?(error: Error): void;
}

/**
 * Certificates are renewed in place (certbot, cert-manager): when either file changes, the server
 * takes the new pair for new connections, without a restart. The files are polled by path, which
 * also sees a rename over the file or a swapped symlink (how Kubernetes updates a mounted secret),
 * where a watch on the old inode would go quiet. A pair caught half-replaced (new certificate, old
 * key) does not load: the old one keeps serving, and the next change tries again.
 */
export function reloadOnChange(server: HttpsServer, files: TlsFiles, intervalMs: number, events: ReloadEvents = {}): () => void {
  const onChange = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    try {
      server.setSecureContext(tlsOptions(files));
      events.reloaded?.();
    } catch (err) {
      events.failed?.(err as Error);
    }
  };
  const paths = [...new Set([files.certPath, files.keyPath])];
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, onChange);
  return () => paths.forEach((path) => unwatchFile(path, onChange));
}
