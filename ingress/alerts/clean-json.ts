import { HttpError } from '../errors';

/**
 * Keys that reach an object's prototype when a parsed document is copied or merged
 * (`Object.assign`, a record schema): refused wherever they appear, not stripped, so what was
 * signed is what is read.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than any documented payload (GuardDuty findings nest about 8); bounds the walk below. */
export const MAX_JSON_DEPTH = 64;

/** A UTF-16 surrogate with no partner: valid as a JSON escape, but no character, and strict JSON readers choke on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const badEncoding = (message: string) => new HttpError(400, message, 'invalid_encoding');

/**
 * Sender text in a refusal message (keys, paths), cut at `max` characters and never inside a
 * surrogate pair: half a pair in an audit record is what this module refuses in bodies.
 */
export function clip(text: string, max = 120): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

const where = (path: (string | number)[]) => clip(path.length === 0 ? 'the top level' : path.map(String).join('.'));

function decodeUtf8(body: Uint8Array): string {
  // RFC 8259 §8.1: no byte-order mark on the wire. TextDecoder would drop one silently.
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) throw badEncoding('body starts with a byte-order mark; send UTF-8 without one');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    // Also refuses surrogates encoded as bytes (ED A0 80…), which UTF-8 forbids.
    throw badEncoding('body is not valid UTF-8');
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // The parser's own message quotes the body; only its position is passed on.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new HttpError(400, `body is not valid JSON${at ? ` (at character ${at})` : ''}`, 'malformed_json');
  }
}

/** Walk every key and string, iteratively (a deep document must not exhaust the stack). */
function inspect(root: unknown): void {
  const pending: [value: unknown, path: (string | number)[]][] = [[root, []]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) throw badEncoding(`${where(path)}: a string holds an unpaired UTF-16 surrogate (such as "\\ud800"), which is no character`);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_JSON_DEPTH) throw new HttpError(400, `body nests deeper than ${MAX_JSON_DEPTH} levels`, 'too_deep');
    if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push([item, [...path, i]]));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new HttpError(400, `${where(path)}: key "${key}" is not accepted anywhere in a body`, 'forbidden_key');
      if (LONE_SURROGATE.test(key)) throw badEncoding(`${where(path)}: a key holds an unpaired UTF-16 surrogate, which is no character`);
      pending.push([item, [...path, key]]);
    }
  }
}

/**
 * The body as JSON, refused unless it is clean: UTF-8 without a byte-order mark, valid JSON,
 * every string a sequence of real characters, no prototype keys, bounded depth. All 400s.
 */
export function readCleanJson(body: Uint8Array): unknown {
  const value = parse(decodeUtf8(body));
  inspect(value);
  return value;
}
