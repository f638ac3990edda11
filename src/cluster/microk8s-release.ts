/**
 * What differs between the MicroK8s releases dist/ supports, and the choice the config's
 * `microk8s.release` makes. Facts from canonical/microk8s-core-addons' release branches
 * (addons/metallb/metallb.yaml), as listed in ../shared/reference/microk8s-addons/VERSIONS.md.
 *
 * Without a release, dist/ must work on every supported one: helm renders for the oldest
 * Kubernetes, MetalLB objects are validated against every MetalLB CRD set, and the Service uses
 * the annotation names every MetalLB reads.
 */

/** MetalLB versions MicroK8s's metallb addon installs (oldest first). */
export const METALLB_VERSIONS = ['v0.13.3', 'v0.14.9', 'v0.15.2'] as const;
export type MetalLbVersion = (typeof METALLB_VERSIONS)[number];

/** Supported MicroK8s releases and the MetalLB version each one's addon installs. */
export const MICROK8S_RELEASES: Readonly<Record<string, MetalLbVersion>> = {
  '1.28': 'v0.13.3',
  '1.29': 'v0.13.3',
  '1.30': 'v0.13.3',
  '1.31': 'v0.13.3',
  '1.32': 'v0.13.3',
  '1.33': 'v0.14.9',
  '1.34': 'v0.15.2',
  '1.35': 'v0.15.2',
};

export const SUPPORTED_RELEASES: readonly string[] = Object.keys(MICROK8S_RELEASES);
export const OLDEST_RELEASE = SUPPORTED_RELEASES[0];
export const NEWEST_RELEASE = SUPPORTED_RELEASES[SUPPORTED_RELEASES.length - 1];

/**
 * `--kube-version` given to helm when no release is configured. The oldest supported release:
 * a chart that picks APIs by Capabilities (z2jh 3.1.0 switches its user-scheduler config at
 * ">=1.24.0-0") then only uses what every supported release serves.
 */
export const DEFAULT_KUBE_VERSION = `${OLDEST_RELEASE}.0`;

/** Kubernetes version helm renders for: the configured release, or the oldest supported one. */
export function kubeVersionFor(release: string | undefined): string {
  return release ? `${release}.0` : DEFAULT_KUBE_VERSION;
}

/** The MetalLB versions dist/ must satisfy: the release's one, or all of them. */
export function metallbVersionsFor(release: string | undefined): readonly MetalLbVersion[] {
  return release ? [MICROK8S_RELEASES[release]] : METALLB_VERSIONS;
}

/**
 * The Service annotations that pin the hub to `ip` in `pool`, in a form every MetalLB of
 * `release` reads. Never together with `spec.loadBalancerIP`: every version refuses a Service
 * that sets both ("service can not have both").
 *
 * - v0.13.3 controller/service.go reads only `metallb.universe.tf/address-pool` and
 *   `metallb.universe.tf/loadBalancerIPs`.
 * - v0.14.9 and v0.15.2 controller/service.go read `metallb.io/...` first and still read the
 *   `metallb.universe.tf/...` names ("Deprecated Annotations. Used for backward compatibility").
 * So: the old names unless every targeted MetalLB reads the new ones.
 */
/** The MetalLB pool name a config ends up with: `loadBalancer.poolName`, else the hub's namespace. */
export function poolNameOf(c: { readonly namespace: string; readonly loadBalancer: { readonly poolName?: string } }): string {
  return c.loadBalancer.poolName ?? c.namespace;
}

export function metallbServiceAnnotations(release: string | undefined, pool: string, ip: string): Record<string, string> {
  const prefix = metallbVersionsFor(release).includes('v0.13.3') ? 'metallb.universe.tf' : 'metallb.io';
  return { [`${prefix}/address-pool`]: pool, [`${prefix}/loadBalancerIPs`]: ip };
}

interface VersionInfo {
  readonly major?: string;
  readonly minor?: string;
  readonly gitVersion?: string;
}

/** "1.32" from `kubectl version --output=json`'s serverVersion, or undefined. */
export function serverRelease(kubectlVersionJson: string): string | undefined {
  let parsed: { serverVersion?: VersionInfo };
  try {
    parsed = JSON.parse(kubectlVersionJson) as { serverVersion?: VersionInfo };
  } catch {
    return undefined;
  }
  const v = parsed?.serverVersion;
  const m = /^v?(\d+)\.(\d+)/.exec(v?.gitVersion ?? '');
  if (m) return `${m[1]}.${m[2]}`;
  const minor = /^\d+/.exec(v?.minor ?? '')?.[0]; // "28+" on some distributions
  return v?.major && minor ? `${v.major}.${minor}` : undefined;
}

/**
 * What doctor says about the machine's MicroK8s release, or undefined when it fits. Pure.
 * `configured`: the config's `microk8s.release` (undefined: any supported release);
 * `kubectlVersionJson`: the output of `microk8s kubectl version --output=json`.
 */
export function microk8sReleaseProblem(configured: string | undefined, kubectlVersionJson: string): string | undefined {
  const running = serverRelease(kubectlVersionJson);
  if (!running) return 'could not read the cluster\'s Kubernetes version from `kubectl version --output=json` (is MicroK8s running?)';
  const supported = `${OLDEST_RELEASE}-${NEWEST_RELEASE}`;
  if (!(running in MICROK8S_RELEASES)) {
    return `this machine runs MicroK8s ${running}, which this program does not support (supported: ${supported}). ` +
      (Number(running.split('.')[1]) < Number(OLDEST_RELEASE.split('.')[1])
        ? `Fix: upgrade MicroK8s (sudo snap refresh microk8s --channel=${OLDEST_RELEASE}/stable or newer).`
        : `Fix: use MicroK8s ${NEWEST_RELEASE} or older, or check for a newer version of this program.`);
  }
  if (configured && configured !== running) {
    return `the config says microk8s.release "${configured}" but this machine runs MicroK8s ${running} ` +
      `(MetalLB ${MICROK8S_RELEASES[configured]} vs ${MICROK8S_RELEASES[running]}). ` +
      `Fix: set microk8s.release to "${running}" (or remove it to target every supported release) and synth again.`;
  }
  return undefined;
}
