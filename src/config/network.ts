/** IPv4 helpers for the MetalLB pool checks. Pure functions, no dependencies. */

export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(ip: string): boolean {
  return ipv4ToInt(ip) !== undefined;
}

export interface AddressPool {
  readonly first: number;
  readonly last: number;
  /** For a CIDR pool, its network and broadcast addresses (not assignable to a Service). */
  readonly network?: number;
  readonly broadcast?: number;
  /** The pool as MetalLB wants it in `spec.addresses`. */
  readonly text: string;
}

/**
 * Parses "a.b.c.d-e.f.g.h" or "a.b.c.d/nn"; undefined when malformed. A CIDR with host bits set
 * is refused (in a config it is almost always a typo) unless `maskHostBits`, which reads it the
 * way MetalLB does (doctor reads pools that exist in the cluster).
 */
export function parseAddressPool(text: string, opts: { maskHostBits?: boolean } = {}): AddressPool | undefined {
  const t = text.trim();
  const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(t);
  if (range) {
    const first = ipv4ToInt(range[1]);
    const last = ipv4ToInt(range[2]);
    if (first === undefined || last === undefined || last < first) return undefined;
    return { first, last, text: `${intToIpv4(first)}-${intToIpv4(last)}` };
  }
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(t);
  if (cidr) {
    const base = ipv4ToInt(cidr[1]);
    const bits = Number(cidr[2]);
    if (base === undefined || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const network = Math.floor(base / size) * size;
    if (network !== base && !opts.maskHostBits) return undefined;
    const broadcast = network + size - 1;
    return { first: network, last: broadcast, network, broadcast, text: `${intToIpv4(network)}/${bits}` };
  }
  return undefined;
}

/** Why `text` is not a MetalLB pool, in words a user can act on; undefined when it is one. */
export function addressPoolProblem(text: string): string | undefined {
  if (parseAddressPool(text) !== undefined) return undefined;
  const generic = 'must be an IPv4 range "192.168.1.240-192.168.1.250" or CIDR "192.168.1.240/28"';
  const t = text.trim();
  const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(t);
  if (range) {
    const bad = [range[1], range[2]].find((ip) => !isIPv4(ip));
    if (bad !== undefined) return `${generic}; ${JSON.stringify(bad)} is not an IPv4 address`;
    return `${generic}; the range ends before it starts (write the lower address first)`;
  }
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(t);
  if (cidr) {
    const base = ipv4ToInt(cidr[1]);
    const bits = Number(cidr[2]);
    if (base === undefined) return `${generic}; ${JSON.stringify(cidr[1])} is not an IPv4 address`;
    if (bits > 32) return `${generic}; the prefix length must be 0 to 32`;
    const size = 2 ** (32 - bits);
    const network = Math.floor(base / size) * size;
    return `${generic}; ${t} has host bits set (did you mean "${intToIpv4(network)}/${bits}", or a range?)`;
  }
  if (t.includes(':')) return `${generic}; IPv6 pools are not supported`;
  return generic;
}

/** Why `ip` cannot be the hub's LoadBalancer IP in `pool`, or undefined when it can. */
export function hubIpProblem(ip: string, pool: AddressPool): string | undefined {
  const n = ipv4ToInt(ip);
  if (n === undefined) return undefined; // reported by the field check
  if (n < pool.first || n > pool.last) return `is outside the MetalLB pool ${pool.text}`;
  if (pool.network !== undefined && pool.last > pool.first + 1) {
    if (n === pool.network) return `is the network address of ${pool.text}`;
    if (n === pool.broadcast) return `is the broadcast address of ${pool.text}`;
  }
  return undefined;
}

/** An IPv4 block with a role that decides whether MetalLB can hand its addresses to the hub. */
interface SpecialBlock {
  readonly cidr: string;
  /** Why no Service can use it (refused), or undefined for the LAN ranges (fine). */
  readonly refused?: string;
}

/**
 * IANA's special-purpose registry (RFC 6890), as far as it matters for a LAN LoadBalancer IP.
 * Private (RFC 1918) and shared (RFC 6598, "CGNAT", used by some LANs and by VPNs such as
 * Tailscale) space is what a LAN uses; the refused blocks can never reach a Service.
 */
const SPECIAL_BLOCKS: readonly SpecialBlock[] = [
  { cidr: '0.0.0.0/8', refused: 'is unspecified address space ("this network", RFC 1122): 0.0.0.0 means "any address", and no machine can be reached at these' },
  { cidr: '127.0.0.0/8', refused: 'is loopback (RFC 1122): every machine answers these itself, so no other machine could reach the hub' },
  { cidr: '224.0.0.0/4', refused: 'is multicast (RFC 5771): these name groups of receivers, not one machine, and a Service cannot have one' },
  { cidr: '240.0.0.0/4', refused: 'is reserved space (RFC 1112) or the broadcast address 255.255.255.255: no network assigns these' },
  { cidr: '169.254.0.0/16', refused: 'is link-local (RFC 3927): machines give themselves these when DHCP fails, routers do not forward them, and 169.254.169.254 is the cloud metadata service' },
  { cidr: '192.0.2.0/24', refused: 'is reserved for documentation (RFC 5737): no network uses it; was it copied from an example?' },
  { cidr: '198.51.100.0/24', refused: 'is reserved for documentation (RFC 5737): no network uses it; was it copied from an example?' },
  { cidr: '203.0.113.0/24', refused: 'is reserved for documentation (RFC 5737): no network uses it; was it copied from an example?' },
  { cidr: '198.18.0.0/15', refused: 'is reserved for network benchmarks (RFC 2544), not for a LAN' },
  { cidr: '10.0.0.0/8' },
  { cidr: '172.16.0.0/12' },
  { cidr: '192.168.0.0/16' },
  { cidr: '100.64.0.0/10' },
];

const blocks = SPECIAL_BLOCKS.map((b) => ({ ...b, range: parseAddressPool(b.cidr)! }));

/** A LAN needs a handful of addresses for the hub; more than a /16 is a typo or the whole internet. */
export const MAX_POOL_ADDRESSES = 65_536;

const LAN_FIX = 'use a few free addresses of the LAN the machine is on, outside the range its router hands out by DHCP, e.g. "192.168.1.240-192.168.1.250"';

/**
 * Why MetalLB could never give the hub an address from `pool` (unspecified, loopback, multicast,
 * reserved, link-local, documentation space, or wider than a /16), with the fix; undefined when usable.
 * Public space is judged separately (publicPoolProblem): it is right on a few LANs.
 */
export function unusablePoolProblem(pool: AddressPool): { message: string; fix: string } | undefined {
  for (const b of blocks) {
    if (b.refused && pool.first <= b.range.last && pool.last >= b.range.first) {
      const whole = pool.first >= b.range.first && pool.last <= b.range.last;
      return { message: `${whole ? '' : `includes ${b.cidr}, which `}${b.refused}`, fix: LAN_FIX };
    }
  }
  const size = pool.last - pool.first + 1;
  if (size > MAX_POOL_ADDRESSES) {
    return {
      message: `holds ${size.toLocaleString('en-US')} addresses, more than a /16 (65,536): MetalLB would claim addresses far beyond any LAN, which belong to other machines or networks`,
      fix: `${LAN_FIX}; the hub needs one`,
    };
  }
  return undefined;
}

/** Why `ip` can never be a LoadBalancer IP (as unusablePoolProblem), or undefined. */
export function unusableIpProblem(ip: string): string | undefined {
  const n = ipv4ToInt(ip);
  if (n === undefined) return undefined;
  return blocks.find((b) => b.refused && n >= b.range.first && n <= b.range.last)?.refused;
}

/** The problem with a pool outside private and shared space, unless the user said it is theirs. */
export function publicPoolProblem(pool: AddressPool): { message: string; fix: string } | undefined {
  const lan = blocks.some((b) => !b.refused && pool.first >= b.range.first && pool.last <= b.range.last);
  if (lan) return undefined;
  return {
    message: 'is public address space (not 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10): MetalLB announces the hub\'s address on the machine\'s LAN, ' +
      'which works only when this public block is assigned to that LAN; otherwise the hub is unreachable and MetalLB answers for somebody else\'s address',
    fix: `${LAN_FIX}; if this public block really is your LAN's (some university and company networks), set loadBalancer.allowPublicAddresses: true`,
  };
}
