import ipaddr from 'ipaddr.js';

/**
 * CIDR validation for blocks. A block list is only as safe as its input: a typo must not block
 * the internet (0.0.0.0/0) or our own private network, so every entry is checked and normalised.
 * The address arithmetic is ipaddr.js's.
 */

export type CidrVerdict = { ok: true; cidr: string } | { ok: false; reason: string };

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const RESERVED: Record<'ipv4' | 'ipv6', [string, number][]> = {
  ipv4: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['100.64.0.0', 10],
    ['0.0.0.0', 8],
  ],
  ipv6: [
    ['fc00::', 7],
    ['fe80::', 10],
    ['::1', 128],
    ['::', 128],
  ],
};

/** Overlap, either way round: 10.0.0.0/7 is as forbidden as 10.1.2.3/32. */
function overlapsReserved(network: Address, prefix: number): boolean {
  return RESERVED[network.kind()].some(([base, length]) => {
    const reserved = ipaddr.parse(base);
    const bits = Math.min(prefix, length);
    return network.kind() === reserved.kind() && (network as ipaddr.IPv4).match(reserved as ipaddr.IPv4, bits);
  });
}

/** Normalise one entry (bare IPs become /32 or /128) and reject what must never be blocked. */
export function checkCidr(input: string, allowPrivate: boolean): CidrVerdict {
  const text = input.trim();
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined || !ipaddr.isValid(address) || (!ipaddr.IPv4.isValidFourPartDecimal(address) && !ipaddr.IPv6.isValid(address))) {
    return { ok: false, reason: `${JSON.stringify(input)} is not an IP address or CIDR` };
  }
  const parsed = ipaddr.parse(address);
  const bits = parsed.kind() === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: `${input}: bad prefix length` };
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return { ok: false, reason: `${input}: prefix longer than ${bits} bits` };
  // WAF accepts IPv4 /1–/32 and IPv6 /1–/128; /0 would block everything.
  if (prefix === 0) return { ok: false, reason: `${input} would block every address` };
  if (bits === 32 && prefix < 8) return { ok: false, reason: `${input} is too broad (shorter than /8)` };
  if (bits === 128 && prefix < 16) return { ok: false, reason: `${input} is too broad (shorter than /16)` };
  const network = (bits === 32 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${parsed.toString()}/${prefix}`);
  if (!allowPrivate && overlapsReserved(network, prefix)) {
    return { ok: false, reason: `${input} is a private or reserved range (set allowPrivate to block it)` };
  }
  return { ok: true, cidr: `${network.toString()}/${prefix}` };
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
