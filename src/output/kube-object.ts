/** A Kubernetes object as plain JSON, and the few facts about kinds the output needs. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** Cluster-scoped kinds of Kubernetes 1.27 (plus MetalLB's, which are all namespaced). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ComponentStatus',
  'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'RuntimeClass', 'IngressClass',
  'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'CertificateSigningRequest',
  'FlowSchema', 'PriorityLevelConfiguration', 'SelfSubjectReview', 'TokenReview', 'SubjectAccessReview',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** "Kind/namespace/name" (or "Kind/name" for cluster objects): how objects are named in messages and diffs. */
export function objectId(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}
