/**
 * Labels every object we generate carries. `npm run deploy` prunes on them, and they say which
 * hub owns an object: two hubs on one cluster (in two namespaces) may use the same release name,
 * and share `metallb-system` and the cluster-scoped kinds, so the release name alone is no owner.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'microk8s-jupyterhub';
export const RELEASE_LABEL = 'microk8s-jupyterhub/release';
/** The namespace of the hub that owns the object: the hub's identity (one hub per namespace). */
export const HUB_LABEL = 'microk8s-jupyterhub/hub-namespace';
/** Set on every Secret synthesized without real secret values. */
export const PLACEHOLDER_ANNOTATION = 'microk8s-jupyterhub/placeholder-secrets';

/** The ConfigMap recording where this hub's data lives (DeploymentRecord; the data-move guard reads it). */
export const DEPLOYMENT_RECORD_NAME = 'microk8s-jupyterhub-state';

export function managedLabels(release: string, hubNamespace: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RELEASE_LABEL]: release, [HUB_LABEL]: hubNamespace };
}

/** Selects every object of this program, whichever hub owns it. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/** The label selector deploy prunes with: objects of THIS hub only. */
export function pruneSelector(hubNamespace: string): string {
  return `${MANAGED_SELECTOR},${HUB_LABEL}=${hubNamespace}`;
}
