/** Labels every object we generate carries: `npm run deploy` prunes on them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'microk8s-jupyterhub';
export const RELEASE_LABEL = 'microk8s-jupyterhub/release';
/** Set on every Secret synthesized without real secret values. */
export const PLACEHOLDER_ANNOTATION = 'microk8s-jupyterhub/placeholder-secrets';

export function managedLabels(release: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RELEASE_LABEL]: release };
}

/** The label selector deploy prunes with. */
export function pruneSelector(release: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RELEASE_LABEL}=${release}`;
}
