/** Kubernetes resource quantities ("500m", "2Gi", "1.5G", "1e3"), parsed to a plain number. */

const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores or bytes); undefined if it is not a quantity. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^([+]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1] + (m[2] ?? ''));
  const v = n * SUFFIX[m[3] ?? ''];
  return Number.isFinite(v) ? v : undefined;
}

/** Formats bytes for people: 1073741824 -> "1.0 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * A memory quantity ("4Gi", "512Mi", "1G") as the whole number of bytes a user pod requests.
 *
 * KubeSpawner's `mem_limit`/`mem_guarantee` are JupyterHub `ByteSpecification` traits
 * (jupyterhub 4.0.2 jupyterhub/traitlets.py): they take an integer (bytes) or a number with one of
 * K, M, G, T, which count in powers of 1024 ("1G" = 2^30), and refuse "Gi" or "Mi". Handing them
 * this integer makes every pod request exactly the bytes the Kubernetes quantity means, and the
 * capacity plan uses the same function, so both count the same bytes. Fractions of a byte round up,
 * as Kubernetes rounds memory quantities.
 */
export function memoryBytes(quantity: string): number {
  const v = parseQuantity(quantity);
  if (v === undefined || !(v > 0)) throw new Error(`not a memory quantity: ${JSON.stringify(quantity)}`);
  return Math.ceil(v - 1e-6);
}
