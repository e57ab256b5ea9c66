import { HttpError } from '../errors';

/** A media type as RFC 9110 §8.3.1 defines it: type, subtype and parameters, names lowercased. */
export interface MediaType {
  type: string;
  subtype: string;
  parameters: [name: string, value: string][];
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const OWS = '[ \\t]*';
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})`);
// parameters = *( OWS ";" OWS [ parameter ] ), parameter = name "=" ( token / quoted-string )
const PARAMETER = new RegExp(`^${OWS};${OWS}(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`);

/**
 * Parse a Content-Type value, or undefined when it is not one. Type, subtype and parameter names
 * are case-insensitive (`APPLICATION/JSON` is application/json). Whitespace is allowed around `;`
 * only: not inside `type/subtype` nor around `=`. Leading and trailing whitespace is not part of a
 * field value (RFC 9110 §5.5), so it is dropped first.
 */
export function parseMediaType(value: string): MediaType | undefined {
  let rest = value.replace(/^[ \t]+|[ \t]+$/g, '');
  const head = TYPE.exec(rest);
  if (!head) return undefined;
  const parameters: [string, string][] = [];
  rest = rest.slice(head[0].length);
  while (rest.length > 0) {
    const p = PARAMETER.exec(rest);
    if (!p || p[0].length === 0) return undefined;
    if (p[1] !== undefined) {
      const raw = p[2]!;
      const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      parameters.push([p[1].toLowerCase(), unquoted]);
    }
    rest = rest.slice(p[0].length);
  }
  return { type: head[1]!.toLowerCase(), subtype: head[2]!.toLowerCase(), parameters };
}

/** The IANA name, and the label WHATWG's Encoding standard also maps to UTF-8 that senders write. */
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

const unsupported = (message: string) => new HttpError(415, message, 'unsupported_media_type');

/**
 * Alert bodies are `application/json`, which is UTF-8 (RFC 8259 §8.1): a `charset` parameter, if
 * sent, must say so (`utf-8` or `utf8`, any case, quoted or not). It has no other parameters, so others are ignored.
 */
export function requireJson(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') throw unsupported('content-type must be application/json');
  const media = parseMediaType(contentType);
  if (!media) throw unsupported('content-type is not a valid media type (RFC 9110 §8.3.1); send application/json');
  if (media.type !== 'application' || media.subtype !== 'json') {
    throw unsupported(`content-type must be application/json, not ${`${media.type}/${media.subtype}`.slice(0, 100)}`);
  }
  const charsets = media.parameters.filter(([name]) => name === 'charset').map(([, v]) => v.toLowerCase());
  if (charsets.length > 1) throw unsupported('content-type names more than one charset');
  if (charsets.length === 1 && !UTF8_LABELS.has(charsets[0]!)) {
    throw unsupported(`application/json is UTF-8 only; charset=${charsets[0]!.replace(/[^\x21-\x7e]/g, '?').slice(0, 40)} is not accepted`);
  }
}
