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
