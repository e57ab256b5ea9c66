import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf } from '../domain/ids';
import type { Config } from '../platform/config';
import { readRunningServer, serverFilePath } from '../platform/server-file';
import { CliError, EXIT_SETUP, EXIT_UNREACHABLE } from './errors';

/**
 * The CLI's changes go through the ingress's operator API, signed in with the person's own token:
 * the ingress verifies who they are and what they may do, and only it can sign the grant a workflow
 * accepts. Reading (incidents list/show, clocks) still asks Temporal directly.
 */
export const EXIT_REFUSED = 4;
export const EXIT_NOT_FOUND = 3;

export interface IngressTarget {
  url: string;
  hint: string;
}

/** `ingress.url` (TOURNIQUET_URL), else the URL `npm start` recorded, else host and port from the settings. */
export function ingressTarget(config: Config): IngressTarget {
  if (config.ingress.url) return { url: config.ingress.url.replace(/\/$/, ''), hint: 'ingress.url (TOURNIQUET_URL)' };
  const recorded = readRunningServer(config)?.ingressUrl;
  if (recorded) return { url: recorded, hint: `recorded in ${serverFilePath(config)} by npm start` };
  const host = ['0.0.0.0', '::'].includes(config.ingress.host) ? '127.0.0.1' : config.ingress.host;
  return { url: `http://${host}:${config.ingress.port}`, hint: 'ingress.host and ingress.port; set TOURNIQUET_URL to the ingress' };
}

export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOURNIQUET_TOKEN_FILE ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'tourniquet', 'token');
}

/** TOURNIQUET_TOKEN, else the token file, which must be readable by its owner only. */
export function operatorToken(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOURNIQUET_TOKEN) return env.TOURNIQUET_TOKEN.trim();
  const path = tokenFilePath(env);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new CliError(
      `this changes something, so it needs your token: set TOURNIQUET_TOKEN, or put it in ${path} (chmod 600); an admin creates one with npx tourniquet token create <you>`,
      EXIT_SETUP,
    );
  }
  if (mode & 0o077) throw new CliError(`${path} is readable by others: chmod 600 ${path} (a token is a password)`, EXIT_SETUP);
  return readFileSync(path, 'utf8').trim();
}

export interface OperatorApi {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

export function operatorApiClient(config: Config, env: NodeJS.ProcessEnv = process.env): OperatorApi {
  const target = ingressTarget(config);
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = operatorToken(env);
    let res: Response;
    try {
      res = await fetch(`${target.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the ingress at ${target.url} (${target.hint}): ${reason}`, EXIT_UNREACHABLE);
    }
    const text = await res.text();
    let json: { message?: string } & Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // not JSON: the status says enough
    }
    if (res.ok) return json as T;
    const message = json.message ?? `${res.status} ${res.statusText}`;
    if (res.status === 401) throw new CliError(`not signed in: ${message}`, EXIT_REFUSED);
    if (res.status === 403 || res.status === 409) throw new CliError(`refused: ${message}`, EXIT_REFUSED);
    if (res.status === 404) throw new CliError(message, EXIT_NOT_FOUND);
    if (res.status === 400) throw new CliError(message, EXIT_SETUP);
    throw new CliError(`the ingress answered ${res.status}: ${message}`, res.status === 503 ? EXIT_UNREACHABLE : 1);
  }
  return { post: (path, body) => call('POST', path, body), get: (path) => call('GET', path) };
}

/** A path segment for an incident: its fingerprint. */
export function incidentSegment(id: string): string {
  return encodeURIComponent(fingerprintOf(id));
}
