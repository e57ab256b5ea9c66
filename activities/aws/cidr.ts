import { isIP } from 'node:net';

/**
 * CIDR validation for blocks. A block list is only as safe as its input: a typo must not block
 * the internet (0.0.0.0/0) or our own private network, so every entry is checked and normalised.
 */

export type CidrVerdict = { ok: true; cidr: string } | { ok: false; reason: string };

const PRIVATE_V4: [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
  ['0.0.0.0', 8],
];
const PRIVATE_V6: [string, number][] = [
  ['fc00::', 7],
  ['fe80::', 10],
  ['::1', 128],
  ['::', 128],
];

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const n = v4ToBigInt(v4Tail[1]!);
    text = text.replace(v4Tail[1]!, `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`);
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...zeros, ...tailParts].reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part || '0', 16)), 0n);
}

function v6ToString(n: bigint): string {
  const parts: string[] = [];
  for (let i = 7; i >= 0; i--) parts.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups becomes `::`, as WAF and people write it.
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return parts.join(':');
  return `${parts.slice(0, best.start).join(':')}::${parts.slice(best.start + best.len).join(':')}`;
}

function v4ToString(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 0xffn).toString()).join('.');
}

function within(n: bigint, bits: number, ranges: [string, number][], toInt: (ip: string) => bigint, prefix: number): boolean {
  // Overlap, either way round: 10.0.0.0/7 is as forbidden as 10.1.2.3/32.
  return ranges.some(([base, len]) => {
    const shift = BigInt(bits - Math.min(prefix, len));
    return n >> shift === toInt(base) >> shift;
  });
}

/** Normalise one entry (bare IPs become /32 or /128) and reject what must never be blocked. */
export function checkCidr(input: string, allowPrivate: boolean): CidrVerdict {
  const text = input.trim();
  const [address = '', prefixText, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return { ok: false, reason: `${JSON.stringify(input)} is not an IP address or CIDR` };
  const bits = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: `${input}: bad prefix length` };
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return { ok: false, reason: `${input}: prefix longer than ${bits} bits` };
  // WAF accepts IPv4 /1–/32 and IPv6 /1–/128; /0 would block everything.
  if (prefix === 0) return { ok: false, reason: `${input} would block every address` };
  if (family === 4 && prefix < 8) return { ok: false, reason: `${input} is too broad (shorter than /8)` };
  if (family === 6 && prefix < 16) return { ok: false, reason: `${input} is too broad (shorter than /16)` };
  const toInt = family === 4 ? v4ToBigInt : v6ToBigInt;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  const network = toInt(address) & mask;
  if (!allowPrivate && within(network, bits, family === 4 ? PRIVATE_V4 : PRIVATE_V6, toInt, prefix)) {
    return { ok: false, reason: `${input} is a private or reserved range (set allowPrivate to block it)` };
  }
  return { ok: true, cidr: `${family === 4 ? v4ToString(network) : v6ToString(network)}/${prefix}` };
}

/** Every entry checked; all reasons reported at once so a runbook author fixes them in one go. */
export function checkCidrs(inputs: string[], allowPrivate: boolean): { cidrs: string[]; problems: string[] } {
  const cidrs: string[] = [];
  const problems: string[] = [];
  for (const input of inputs) {
    const verdict = checkCidr(input, allowPrivate);
    if (verdict.ok) {
      if (!cidrs.includes(verdict.cidr)) cidrs.push(verdict.cidr);
    } else problems.push(verdict.reason);
  }
  return { cidrs, problems };
}
