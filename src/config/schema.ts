/**
 * The configuration schema: the single source of truth for what a user may write in
 * src/config.ts or in a HUB_CONFIG file, and for the TypeScript types of both.
 *
 * Field-level rules live here; rules that relate several fields live in ./cross-checks.ts.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { addressPoolProblem, isIPv4 } from './network';
import { parseQuantity } from './quantity';
import { SUPPORTED_RELEASES } from '../cluster/microk8s-release';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i;

/**
 * Words a YAML 1.1 reader (helm's, kubectl's) turns into booleans or null when a chart writes a
 * name unquoted, as z2jh does for release, namespace and Secret names.
 */
const YAML_WORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);

/**
 * An RFC 1123 label, as Kubernetes wants for names, that also reads back as a string when a
 * chart template writes it unquoted: it starts with a letter ("0" or "1e3" would become numbers)
 * and is no YAML 1.1 boolean word ("yes", "on").
 */
const dnsLabel = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(DNS_LABEL, 'must be lower-case letters, digits and "-", starting and ending with a letter or digit')
    .refine((v) => !DNS_LABEL.test(v) || /^[a-z]/.test(v), { message: 'must start with a letter (a name like "0" or "1e3" is read back as a number by YAML)' })
    .refine((v) => !YAML_WORDS.has(v), { message: 'must not be a YAML boolean word such as "yes", "on" or "true" (charts write names unquoted)' });

/** True for a fully qualified DNS name such as `hub.example.org` (no scheme, port, path or trailing dot). */
export function isDnsName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split('.');
  if (labels.length < 2) return false;
  return labels.every((l) => l.length >= 1 && l.length <= 63 && DNS_NAME_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
}

/** Why an Auth0 domain is not a bare tenant host name, or undefined when it is one. */
export function auth0DomainProblem(d: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d)) return 'must be the tenant host name without "https://", e.g. "my-team.eu.auth0.com"';
  if (d.includes('/')) return 'must be the tenant host name without a path, e.g. "my-team.eu.auth0.com"';
  if (d.includes(':')) return 'must be the tenant host name without a port, e.g. "my-team.eu.auth0.com"';
  if (!isDnsName(d)) return 'must be an Auth0 tenant domain such as "my-team.eu.auth0.com" or your Auth0 custom domain';
  return undefined;
}

const dnsName = z.string().refine(isDnsName, {
  message: 'must be a DNS name such as "hub.example.org" (letters, digits, "-" and dots; no scheme, port or path)',
});

const quantity = (example: string) =>
  z.string().refine((v) => parseQuantity(v) !== undefined && parseQuantity(v)! > 0, {
    message: `must be a positive Kubernetes quantity such as "${example}"`,
  });

/** C0 and C1 control characters, and the bidi and zero-width ones that make text lie on screen. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/** A CPU amount in cores: more than 1m (the smallest unit Kubernetes takes) and at most 1024. */
function cpuProblem(cores: number): string | undefined {
  if (!(cores > 0)) return 'must be more than 0 cores';
  if (cores < 0.001) return 'must be at least 0.001 cores ("1m"), the smallest CPU amount Kubernetes takes';
  if (cores > 1024) return 'must be at most 1024 cores';
  return undefined;
}

/**
 * A CPU amount: a number of cores (0.5) or a string of cores or millicores ("2", "500m").
 * Other quantity suffixes ("2G", "1Ki") are byte units and almost surely a mix-up with memory.
 */
const cpu = z.union(
  [
    z.number().superRefine((n, ctx) => {
      const problem = cpuProblem(n);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    z.string().superRefine((v, ctx) => {
      if (!/^(\d+(\.\d+)?|\.\d+)m?$/.test(v)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a number of cores such as 0.5 or "2", or millicores such as "500m"' });
        return;
      }
      const problem = cpuProblem(parseQuantity(v)!);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
  ],
  { errorMap: () => ({ message: 'must be a number of cores such as 0.5, or millicores such as "500m"' }) },
);

/** Memory: a byte quantity with a unit such as "2G" or "512Mi". */
const memory = z.string({ errorMap: (issue, ctx) => ({
  message: issue.code === z.ZodIssueCode.invalid_type && issue.received === 'number'
    ? 'must be a quantity with a unit, for example "2G" or "2Gi" (a bare number means bytes)'
    : ctx.defaultError,
}) }).superRefine((v, ctx) => {
  const bytes = parseQuantity(v);
  if (bytes === undefined || !(bytes > 0)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a positive Kubernetes quantity such as "2G"' });
  } else if (/m$/.test(v)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: '"m" means thousandths of a byte; megabytes are "M" (or mebibytes "Mi"), e.g. "512M"' });
  } else if (!/[a-zA-Z]$/.test(v)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'needs a unit, for example "2G" or "2Gi" (a bare number means bytes)' });
  }
});

const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path starting with "/"' })
  .refine((p) => !CONTROL.test(p), { message: 'must not contain control characters' });

/** A path to a PEM file (never the PEM text itself: a pasted key must not reach a message). */
const pemPath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((p) => !/-----BEGIN|PRIVATE KEY/.test(p), { message: 'must be the path to a PEM file, not the PEM text itself' })
  .refine((p) => !CONTROL.test(p), { message: 'must be a file path without line breaks or control characters' });

/**
 * A list of user names as Auth0 reports them (the `email` claim by default). One check over the
 * list, types included, not a schema per name: zod's per-element parse cost ~1-4 µs a name
 * (10-40 ms of every synth at 10,000 allowlisted users); the issues are the ones zod gives.
 */
// Typed string[] both ways: src/config.ts is type-checked against the input type.
const userNames: z.ZodType<string[], z.ZodTypeDef, string[]> = z.any().superRefine((names, ctx) => {
  if (!Array.isArray(names)) {
    ctx.addIssue({ code: z.ZodIssueCode.invalid_type, expected: z.ZodParsedType.array, received: z.getParsedType(names) });
    return;
  }
  for (let i = 0; i < names.length; i++) {
    const u: unknown = names[i];
    if (typeof u !== 'string') {
      ctx.addIssue({ code: z.ZodIssueCode.invalid_type, path: [i], expected: z.ZodParsedType.string, received: z.getParsedType(u) });
      continue;
    }
    const problem = u.length === 0 ? 'must not be empty'
      : u.length > 320 ? 'must be at most 320 characters'
        : /\s/.test(u) || CONTROL.test(u) ? 'must not contain spaces or control characters' : undefined;
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: problem });
  }
});

const imageRef = z
  .object({
    /** Image name without tag, e.g. `quay.io/jupyter/scipy-notebook`. */
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      .regex(/^[a-z0-9][a-z0-9._\-/:]*$/, 'must be an image name such as "quay.io/jupyter/scipy-notebook"')
      // A ":" after the last "/" is a tag ("scipy-notebook:latest"), which would dodge the tag rules.
      .refine((n) => !/:[^/]*$/.test(n), { message: 'must not include a tag: put it in notebook.image.tag, e.g. name "quay.io/jupyter/scipy-notebook", tag "2024-05-27"' }),
    /** A pinned tag or a `sha256:` digest; never `latest`. */
    tag: z
      .string()
      .min(1, 'must not be empty')
      .regex(/^(sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/, 'must be a tag such as "2024-05-27" or a digest "sha256:…"')
      .refine((t) => t !== 'latest', { message: 'must be pinned: "latest" changes under you and breaks reproducible spawns' }),
  })
  .strict();

export const TlsSchema = z.discriminatedUnion('mode', [
  z
    .object({
      /** Serve the certificate and key from these PEM files (read at synth time, never committed). */
      mode: z.literal('secret'),
      /** PEM certificate file: the leaf first, then its chain. Relative paths resolve from the config file. */
      certFile: pemPath,
      /** PEM private key file. Relative paths resolve from the config file. */
      keyFile: pemPath,
      /** Name of the `kubernetes.io/tls` Secret. @default "jupyterhub-tls" */
      secretName: dnsLabel(63).default('jupyterhub-tls'),
    })
    .strict(),
  z
    .object({
      /** Let z2jh's autohttps pod (Traefik) get a Let's Encrypt certificate for `domain`. */
      mode: z.literal('letsencrypt'),
      /** Contact email registered with Let's Encrypt (expiry notices go there). */
      contactEmail: z.string().max(254, 'must be at most 254 characters').email('must be an email address such as "admin@example.org"'),
      /** ACME directory. @default Let's Encrypt production */
      acmeServer: z
        .string()
        .max(2048, 'must be at most 2048 characters')
        // URL parsing silently drops line breaks and tabs: refuse them (and spaces) up front.
        .refine((u) => !/[\s\u0000-\u001f\u007f]/.test(u), { message: 'must be a URL without spaces, line breaks or control characters' })
        .pipe(z.string().url('must be a URL such as "https://acme-staging-v02.api.letsencrypt.org/directory"').startsWith('https://', 'must be an https:// URL'))
        .optional(),
    })
    .strict(),
  z
    .object({
      /** Plain HTTP: only for a local test machine. Auth0 then calls back over http. */
      mode: z.literal('none'),
      /** Must be `true`: the login callback and cookies travel unencrypted. */
      allowInsecureCallback: z.literal(true, {
        errorMap: () => ({ message: 'must be true to run without TLS (login cookies then travel in clear text)' }),
      }),
    })
    .strict(),
]);

/** Where a kind of volume lives. */
export const STORAGE_BACKENDS = ['hostpath', 'nfs', 'mayastor', 'cephfs'] as const;
export type StorageBackend = (typeof STORAGE_BACKENDS)[number];

/** How the notebook user's files are owned: docker-stacks' jovyan (z2jh singleuser.uid / fsGid). */
export const NOTEBOOK_UID = 1000;
export const NOTEBOOK_GID = 100;

/** The two real NFS setups (README "Storage"). */
export const NFS_SETUPS = ['csi-driver-nfs', 'microk8s-addon'] as const;

const NFS_SETUP_FIX =
  'add storage.nfs.setup: "csi-driver-nfs" for an existing NFS server (what storage.nfs with server and share meant before; ' +
  'install the driver with Helm, README "Storage"), or "microk8s-addon" for the in-cluster server of `microk8s enable nfs`';

const storageClassName = dnsLabel(63);

const NfsSchema = z.discriminatedUnion(
  'setup',
  [
    z
      .object({
        /** An existing NFS server, through csi-driver-nfs (provisioner nfs.csi.k8s.io, installed with Helm). */
        setup: z.literal('csi-driver-nfs'),
        /** NFS server host name or IP. */
        server: z.string().min(1).max(253).regex(/^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$/, 'must be a host name or IP such as "nfs.example.org"'),
        /** Exported path, e.g. "/export/jupyterhub". */
        share: absolutePath,
        /**
         * Directory of each volume under the share; csi-driver-nfs fills in
         * `${pvc.metadata.namespace}`, `${pvc.metadata.name}` and `${pv.metadata.name}`.
         * @default "${pvc.metadata.namespace}-${pvc.metadata.name}" (stable: a re-created claim finds its data)
         */
        subDir: z
          .string()
          .min(1)
          .max(253)
          .regex(/^[A-Za-z0-9_.${}-]+(\/[A-Za-z0-9_.${}-]+)*$/, 'must be a relative directory such as "${pvc.metadata.namespace}-${pvc.metadata.name}"')
          .refine((d) => !d.split('/').includes('..'), { message: 'must not contain ".."' })
          .default('${pvc.metadata.namespace}-${pvc.metadata.name}'),
        /**
         * Mode csi-driver-nfs gives each new volume directory (octal). "0777" lets the notebook user
         * (uid 1000) write on a root-squashed export, where nothing in the cluster can chown.
         * "0" leaves the mode alone (for an export squashing all users to 1000:100). @default "0777"
         */
        mountPermissions: z.string().regex(/^0[0-7]{0,4}$/, 'must be an octal mode such as "0777", or "0"').default('0777'),
        /** NFS mount options. @default ["nfsvers=4.1"] */
        mountOptions: z.array(z.string().max(64).regex(/^[A-Za-z0-9_=.,-]+$/, 'must be a mount option such as "nfsvers=4.1"')).default(['nfsvers=4.1']),
        /** StorageClass name. @default derived from namespace and release (README "Storage") */
        storageClassName: storageClassName.optional(),
      })
      .strict(),
    z
      .object({
        /** The MicroK8s `nfs` addon: an nfs-ganesha server inside the cluster (provisioner cluster.local/nfs-server-provisioner). */
        setup: z.literal('microk8s-addon'),
        /** NFS mount options. @default ["vers=3"] (what the addon's own StorageClass uses) */
        mountOptions: z.array(z.string().max(64).regex(/^[A-Za-z0-9_=.,-]+$/, 'must be a mount option such as "vers=3"')).default(['vers=3']),
        /** StorageClass name. @default derived from namespace and release (README "Storage") */
        storageClassName: storageClassName.optional(),
      })
      .strict(),
  ],
  { errorMap: (issue, ctx) => ({ message: issue.code === z.ZodIssueCode.invalid_union_discriminator ? NFS_SETUP_FIX : ctx.defaultError }) },
);

/** Where the CephFS filesystem lives (README "Storage"). */
export const CEPHFS_SETUPS = ['microk8s-addon', 'external-ceph'] as const;

/** Old configs (before `setup`) meant the rook-ceph addon's own cluster. */
const withCephfsSetup = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) && !('setup' in v) ? { setup: 'microk8s-addon', ...v } : v);

const CephfsSchema = z.preprocess(
  withCephfsSetup,
  z.discriminatedUnion('setup', [
    z
      .object({
        /** A CephCluster and CephFilesystem you created on the `rook-ceph` addon's operator. */
        setup: z.literal('microk8s-addon'),
        /** Namespace of the Rook operator: the provisioner is `<it>.cephfs.csi.ceph.com`. @default "rook-ceph" */
        operatorNamespace: dnsLabel(63).default('rook-ceph'),
        /** Namespace of the CephCluster (Rook's clusterID; holds the CSI secrets). @default "rook-ceph" */
        clusterID: dnsLabel(63).default('rook-ceph'),
        /** CephFilesystem name. @default "myfs" */
        fsName: dnsLabel(63).default('myfs'),
        /** Data pool of that filesystem. @default "myfs-replicated" */
        pool: dnsLabel(63).default('myfs-replicated'),
        /** StorageClass name. @default derived from namespace and release */
        storageClassName: storageClassName.optional(),
      })
      .strict(),
    z
      .object({
        /** An external Ceph (e.g. MicroCeph) imported with `microk8s connect-external-ceph`. */
        setup: z.literal('external-ceph'),
        /** Namespace of the Rook operator (the addon's). @default "rook-ceph" */
        operatorNamespace: dnsLabel(63).default('rook-ceph'),
        /** Namespace connect-external-ceph imported the cluster into (clusterID). @default "rook-ceph-external" */
        clusterID: dnsLabel(63).default('rook-ceph-external'),
        /** The external cluster's CephFS filesystem (`ceph fs ls`). */
        fsName: z.string().min(1).max(253).regex(/^[A-Za-z0-9_.-]+$/, 'must be a CephFS name from `ceph fs ls`'),
        /** Its data pool (`ceph fs ls`, "data pools"). */
        pool: z.string().min(1).max(253).regex(/^[A-Za-z0-9_.-]+$/, 'must be a pool name from `ceph fs ls`'),
        /** StorageClass name. @default derived from namespace and release */
        storageClassName: storageClassName.optional(),
      })
      .strict(),
  ]),
);

export const StorageSchema = z
  .object({
    /**
     * Host directory where user home volumes and the hub database live (a dedicated disk or
     * partition). @default "/srv/jupyterhub"
     */
    hostDirectory: absolutePath.default('/srv/jupyterhub'),
    /**
     * `storageClass`: our own StorageClass with `parameters.pvDir` (MicroK8s 1.25+: hostpath-provisioner 1.4.1+).
     * `provisionerPatch`: patch the addon's `hostpath-provisioner` Deployment (older MicroK8s).
     * @default "storageClass"
     */
    method: z.enum(['storageClass', 'provisionerPatch']).default('storageClass'),
    /**
     * Name of the hostpath StorageClass (user homes and the hub database on hostpath).
     * @default derived from namespace and release (README "Storage")
     */
    storageClassName: storageClassName.optional(),
    /** `Retain` keeps a home directory's data when its PVC is deleted. @default "Retain" */
    reclaimPolicy: z.enum(['Retain', 'Delete']).default('Retain'),
    /** Size of each user's home volume. @default "10Gi" */
    userCapacity: quantity('10Gi').default('10Gi'),
    /** Size of the hub database volume. @default "1Gi" */
    hubDatabaseCapacity: quantity('1Gi').default('1Gi'),
    /** Backend of user home volumes. @default "hostpath" */
    homes: z.enum(STORAGE_BACKENDS).default('hostpath'),
    /** Backend of the hub database volume (SQLite). @default "hostpath" */
    hubDatabase: z.enum(STORAGE_BACKENDS).default('hostpath'),
    /**
     * With several nodes, keep hostpath volumes usable by pinning user servers and the hub to
     * this node (all hostpath data lives on its disk). @default - not pinned
     */
    pinHostpathToNode: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a node name from cluster.nodes').optional(),
    /** NFS: an existing server through csi-driver-nfs, or the MicroK8s `nfs` addon (`setup`). */
    nfs: NfsSchema.optional(),
    /** MicroK8s `mayastor` addon: replicated block storage (ReadWriteOnce, no volume expansion). */
    mayastor: z
      .object({
        /** Copies of each volume, one per node (pool): at most the number of cluster.nodes. @default that number, at most 3 */
        replicas: z.number().int().min(1).max(5).optional(),
        /** StorageClass name. @default derived from namespace and release */
        storageClassName: storageClassName.optional(),
      })
      .strict()
      .optional(),
    /** CephFS through Rook (MicroK8s `rook-ceph` addon), ReadWriteMany. */
    cephfs: CephfsSchema.optional(),
  })
  .strict();

/** True when a URL carries a password in its user info ("scheme://user:pass@host"), however odd the password. */
export function urlHasPassword(u: string): boolean {
  try {
    if (new URL(u).password !== '') return true;
  } catch {
    // not parseable: fall back to the shape
  }
  return /^[a-z][a-z0-9+.-]*:\/\/[^@]*:[^@]*@/i.test(u);
}

export const HubDatabaseSchema = z.discriminatedUnion('type', [
  z.object({
    /** SQLite on a volume (storage.hubDatabase backend). One node, or a pinned hub. */
    type: z.literal('sqlite'),
  }).strict(),
  z.object({
    /** An existing PostgreSQL server. The password comes from env HUB_DB_PASSWORD or .secrets/hub-db-password. */
    type: z.literal('postgres'),
    /** e.g. "postgresql://jupyterhub@db.example.org:5432/jupyterhub", WITHOUT a password. */
    url: z
      .string()
      .max(2048)
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a URL such as "postgresql://jupyterhub@db.example.org:5432/jupyterhub"')
      .refine((u) => !urlHasPassword(u) && !/[?&][a-z]*pass(word)?=/i.test(u), {
        message: 'must not contain a password: put it in env HUB_DB_PASSWORD or .secrets/hub-db-password',
      })
      .refine((u) => !CONTROL.test(u), { message: 'must not contain control characters' }),
    /**
     * Migrate the database schema when a new chart version brings a newer JupyterHub (the hub's
     * `--upgrade-db`, z2jh `hub.db.upgrade`). JupyterHub makes no backup of a PostgreSQL database:
     * take a `pg_dump` before you change chartVersion. `false`: the hub refuses to start on an old
     * schema until you run `jupyterhub upgrade-db` yourself. @default true
     */
    upgradeOnStart: z.boolean().default(true),
  }).strict(),
]);

export const LoadBalancerSchema = z
  .object({
    /** MetalLB pool: a range "192.168.1.240-192.168.1.250" or a CIDR "192.168.1.240/28". */
    addressPool: z.string().superRefine((v, ctx) => {
      const problem = addressPoolProblem(v);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    /** The fixed IP of the hub's `proxy-public` LoadBalancer Service; must lie inside the pool. */
    hubIP: z.string().refine(isIPv4, { message: 'must be an IPv4 address such as "192.168.1.240"' }),
    /**
     * Name of the MetalLB IPAddressPool and L2Advertisement (in `metallb-system`, shared by every
     * hub on the cluster). @default - the hub's namespace, so two hubs never share a pool
     */
    poolName: dnsLabel(63).optional(),
    /**
     * The pool is public address space that is assigned to the machine's LAN (some university
     * and company networks). Without it, only private (RFC 1918) and shared (100.64.0.0/10)
     * space is accepted. @default false
     */
    allowPublicAddresses: z.boolean().default(false),
  })
  .strict();

/** The MicroK8s release as "1.32"; YAML reads an unquoted 1.30 as the number 1.3, so numbers are refused. */
const microk8sRelease = z
  .string({ invalid_type_error: 'must be a release in quotes such as "1.32" (YAML reads an unquoted 1.30 as the number 1.3)' })
  .refine((v) => SUPPORTED_RELEASES.includes(v), { message: `must be a supported MicroK8s release: ${SUPPORTED_RELEASES.map((r) => `"${r}"`).join(', ')}` });

export const MicroK8sSchema = z
  .object({
    /**
     * The MicroK8s release the hub runs on (`microk8s version`), e.g. "1.32". Narrows what dist/
     * targets: helm's `--kube-version`, the MetalLB CRD schemas checked and the MetalLB annotation
     * names; doctor compares it with the machine's.
     * @default - any supported release (1.28-1.35): dist/ works on all of them
     */
    release: microk8sRelease.optional(),
  })
  .strict();

export const Auth0Schema = z
  .object({
    /** Auth0 tenant domain, e.g. "my-team.eu.auth0.com" (no https://, no path). */
    domain: z.string().superRefine((d, ctx) => {
      const problem = auth0DomainProblem(d);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    /** Client ID of the Auth0 "Regular Web Application". Not a secret. */
    clientId: z.string().min(1, 'must not be empty').max(128).regex(/^[A-Za-z0-9_-]+$/, 'must be the Client ID from the Auth0 application (letters and digits)'),
    /** OAuth scopes. @default ["openid", "email"] */
    scopes: z
      .array(z.string().max(128, 'must be at most 128 characters').regex(/^[A-Za-z0-9_:.-]+$/, 'must be a scope name such as "email"'))
      .min(1, 'must list at least one scope, e.g. ["openid", "email"]')
      .default(['openid', 'email']),
    /** Claim used as the JupyterHub user name. @default "email" */
    usernameClaim: z
      .string()
      .min(1, 'must not be empty')
      .max(128, 'must be at most 128 characters')
      .regex(/^[A-Za-z0-9_:./-]+$/, 'must be a claim name such as "email"')
      .default('email'),
    /** Users who may log in (user names as given by `usernameClaim`). @default [] */
    allowedUsers: userNames.default([]),
    /** Users who may log in and administer the hub. @default [] */
    adminUsers: userNames.default([]),
    /**
     * Let every user who can log in to the Auth0 application in. With Auth0 sign-ups enabled that
     * is anyone on the internet: set it only on purpose. @default false
     */
    allowAll: z.boolean().default(false),
    /**
     * Refuse a login whose Auth0 profile says `email_verified: false` (or says nothing). Without
     * it, anyone who can sign up on an Auth0 database connection can register an allowlisted
     * address unverified and log in as that person. Turn it off only for connections that have no
     * email verification and whose addresses you trust (e.g. an enterprise directory).
     * @default true when `usernameClaim` is "email", else false
     */
    requireVerifiedEmail: z.boolean().optional(),
    /**
     * Let hub admins open users' servers (their files, terminals and notebooks), and make API
     * tokens for them, as JupyterHub's default admin role does. Off, admins still add, remove,
     * start and stop users and servers, but cannot look inside. @default false
     */
    adminsCanAccessServers: z.boolean().default(false),
  })
  .strict();

export const UserResourcesSchema = z
  .object({
    /** CPU cores each user is guaranteed. @default 0.5 */
    cpuGuarantee: cpu.default(0.5),
    /** CPU cores each user may use at most. @default 2 */
    cpuLimit: cpu.default(2),
    /** Memory each user is guaranteed. @default "1G" */
    memoryGuarantee: memory.default('1G'),
    /** Memory each user may use at most (the pod is killed above it). @default "4G" */
    memoryLimit: memory.default('4G'),
  })
  .strict();

export const NotebookSchema = z
  .object({
    /** The default user image (Jupyter docker-stacks, pinned). */
    image: imageRef.default({ name: 'quay.io/jupyter/scipy-notebook', tag: '2024-05-27' }),
    /** UI a user lands in. @default "/lab" (JupyterLab) */
    defaultUrl: z.string().max(1024, 'must be at most 1024 characters').regex(/^\/[A-Za-z0-9_/.-]*$/, 'must be a path such as "/lab"').default('/lab'),
  })
  .strict();

export const CullSchema = z
  .object({
    /** Stop idle user servers. @default true */
    enabled: z.boolean().default(true),
    /** Seconds of inactivity before a server is stopped. @default 3600 */
    timeoutSeconds: z.number().int().min(300, 'must be at least 300 seconds').max(7 * 24 * 3600).default(3600),
  })
  .strict();

const labelKey = z.string().max(316).regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be a Kubernetes label key such as "example.org/gpu"');
const labelValue = z.string().max(63).regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value (letters, digits, "-", "_", ".")');

export const NodeSchema = z
  .object({
    /** Kubernetes node name (`microk8s kubectl get nodes`). */
    name: z.string().min(1, 'must not be empty').max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a node name such as "node-1"'),
    /** CPU cores of the machine. */
    cpus: z.number().positive('must be more than 0').max(1024, 'must be at most 1024'),
    /** Memory of the machine, e.g. "32Gi". */
    memory,
    /** NVIDIA GPUs on the machine (MicroK8s `gpu` addon). @default 0 */
    gpus: z.number().int('must be a whole number').min(0).max(64).default(0),
    /** Free space on the disk that holds storage.hostDirectory, for the capacity plan. @default - not planned */
    diskFree: quantity('1Ti').optional(),
    /** Node labels to schedule by (already set on the node). @default {} */
    labels: z.record(labelKey, labelValue).default({}),
  })
  .strict();

export const ClusterSchema = z
  .object({
    /**
     * The machines of the MicroK8s cluster. One node (the default) turns off what only helps
     * several nodes: the user-scheduler, user placeholders and pod priority.
     * @default one node "microk8s" with 8 cores, 32Gi, no GPU
     */
    nodes: z.array(NodeSchema).min(1, 'must list at least one node').max(1000).default([{ name: 'microk8s', cpus: 8, memory: '32Gi' }]),
    /** CPU cores per node kept for the OS and MicroK8s itself (not planned for users). @default 1 */
    reservedCpusPerNode: z.number().min(0).max(64).default(1),
    /** Memory per node kept for the OS and MicroK8s itself. @default "2Gi" */
    reservedMemoryPerNode: memory.default('2Gi'),
    /** Keep the hub, proxy and other always-on pods on this node (e.g. the control plane). @default - anywhere */
    systemPodsOn: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a node name from cluster.nodes').optional(),
    /** Placeholder pods that keep room for this many extra users (z2jh user placeholders; several nodes). @default 0 */
    userPlaceholders: z.number().int().min(0).max(1000).default(0),
  })
  .strict();

const slug = z.string().min(1, 'must not be empty').max(63, 'must be at most 63 characters').regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and "-", such as "data-science"');
const label = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
  .refine((t) => !CONTROL.test(t), { message: 'must not contain line breaks or control characters' });

export const PROFILE_PRESETS = ['data-science', 'deep-learning', 'team', 'gpu'] as const;

/** Resources a preset sets over `resources` (and under the profile's own fields). */
export const PRESET_RESOURCES: Readonly<Record<(typeof PROFILE_PRESETS)[number], {
  readonly cpuGuarantee?: number;
  readonly cpuLimit?: number;
  readonly memoryGuarantee?: string;
  readonly memoryLimit?: string;
}>> = {
  'data-science': {},
  'deep-learning': { memoryGuarantee: '2G', memoryLimit: '8G' },
  team: {},
  gpu: { cpuGuarantee: 1, cpuLimit: 4, memoryGuarantee: '4G', memoryLimit: '16G' },
};

export const ProfileSchema = z
  .object({
    /** Start from a shipped preset (its name, image and text); other fields override it. */
    preset: z.enum(PROFILE_PRESETS).optional(),
    /** Identifier (KubeSpawner slug). Required without a preset. */
    name: slug.optional(),
    /** What users see in the spawn form. */
    displayName: label(100).optional(),
    description: label(500).optional(),
    /** The image; required without a preset. Pinned tag or digest. */
    image: imageRef.optional(),
    /** Pre-selected in the spawn form. @default first profile */
    default: z.boolean().optional(),
    /** Per-profile resources; unset fields take `resources`. */
    cpuGuarantee: cpu.optional(),
    cpuLimit: cpu.optional(),
    memoryGuarantee: memory.optional(),
    memoryLimit: memory.optional(),
    /** NVIDIA GPUs per user server of this profile. @default 0 (preset "gpu": gpu.perUser) */
    gpus: z.number().int('must be a whole number').min(0).max(16).optional(),
  })
  .strict();

export const GpuSchema = z
  .object({
    /** GPUs each user of the GPU profile gets. @default 1 */
    perUser: z.number().int('must be a whole number').min(1).max(16).default(1),
    /** Image of the GPU preset (CUDA build of tensorflow-notebook). */
    image: imageRef.default({ name: 'quay.io/jupyter/tensorflow-notebook', tag: 'cuda-2024-05-27' }),
  })
  .strict();

export const TeamImageSchema = z
  .object({
    /** Offer the team image (images/team/Dockerfile) as a profile. Build it first: `npm run image:build`. @default false */
    enabled: z.boolean().default(false),
    /** Where `npm run image:build` pushes it: the MicroK8s registry addon. @default "localhost:32000/team-notebook" */
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/, 'must be an image name such as "localhost:32000/team-notebook"')
      .refine((n) => !/:[^/]*$/.test(n), { message: 'must not include a tag: put it in teamImage.tag' })
      .default('localhost:32000/team-notebook'),
    /** Version of the team image; bump it when images/team changes. @default "2024.11.1" */
    tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a tag such as "2024.11.1"').refine((t) => t !== 'latest', { message: 'must be pinned, not "latest"' }).default('2024.11.1'),
  })
  .strict();

const volumeSource = z.discriminatedUnion('type', [
  /** A directory on the node (one node, or identical on every node). */
  z.object({ type: z.literal('hostPath'), path: absolutePath }).strict(),
  /** An existing PersistentVolumeClaim the admin created. */
  z.object({ type: z.literal('pvc'), claimName: dnsLabel(253) }).strict(),
  /** A PVC we create on a storage backend (never deleted by us). */
  z.object({ type: z.literal('backend'), backend: z.enum(STORAGE_BACKENDS), size: quantity('100Gi').default('100Gi') }).strict(),
]);

/** The normal form of an absolute path ("/a//b/./c/" -> "/a/b/c"). */
export function normalPath(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

const mountPath = absolutePath
  .refine((p) => normalPath(p) === p, { message: 'must be a plain path without "//", "." or ".." parts or a trailing "/"' })
  .refine((p) => p !== '/home/jovyan' && !p.startsWith('/home/jovyan/work') && p !== '/' && p !== '/home', {
    message: 'must not hide the home directory: use a folder such as "/home/jovyan/datasets"',
  });

export const SharedDataSchema = z
  .object({
    /** A read-only dataset volume the admin fills, mounted into every user server. @default none */
    datasets: volumeSource.optional(),
    /** @default "/home/jovyan/datasets" */
    datasetsMountPath: mountPath.default('/home/jovyan/datasets'),
    /** A shared read-write team folder. @default none */
    teamFolder: volumeSource.optional(),
    /** @default "/home/jovyan/shared" */
    teamFolderMountPath: mountPath.default('/home/jovyan/shared'),
  })
  .strict();

export const CapacitySchema = z
  .object({
    /** Most user servers running at once. @default - derived from the capacity plan */
    activeServerLimit: z.number().int().min(1).max(100000).optional(),
    /** How many homes to plan disk for. @default - the number of allowed users and admins */
    expectedUsers: z.number().int().min(1).max(1000000).optional(),
  })
  .strict();

export const HubConfigSchema = z
  .object({
    /** Namespace the hub runs in. @default "jupyterhub" */
    namespace: dnsLabel(63).default('jupyterhub'),
    /** Helm release name (prefixes cluster-wide object names). @default "jupyterhub" */
    releaseName: dnsLabel(53).default('jupyterhub'),
    /** Public DNS name of the hub, e.g. "hub.example.org". */
    domain: dnsName,
    /** Chart version to render. @default "3.1.0" */
    chartVersion: z.string().max(64, 'must be at most 64 characters').regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a chart version such as "3.1.0"').default('3.1.0'),
    loadBalancer: LoadBalancerSchema,
    /** The MicroK8s the hub runs on. @default - any supported release */
    microk8s: MicroK8sSchema.default({}),
    tls: TlsSchema,
    storage: StorageSchema.default({}),
    auth0: Auth0Schema,
    resources: UserResourcesSchema.default({}),
    notebook: NotebookSchema.default({}),
    cull: CullSchema.default({}),
    cluster: ClusterSchema.default({}),
    /** The environments users pick from at spawn. @default data-science and deep-learning presets (+ team, + gpu when configured) */
    profiles: z.array(ProfileSchema).min(1, 'must list at least one profile, or be left out for the presets').max(200).optional(),
    gpu: GpuSchema.default({}),
    teamImage: TeamImageSchema.default({}),
    sharedData: SharedDataSchema.default({}),
    capacity: CapacitySchema.default({}),
    /** The hub's own database. @default sqlite */
    hubDatabase: HubDatabaseSchema.default({ type: 'sqlite' }),
  })
  .strict();

/** What a user writes (defaults optional). */
export type HubConfigInput = z.input<typeof HubConfigSchema>;
/** What the program works with (defaults filled in). */
export type HubConfig = z.output<typeof HubConfigSchema>;
export type TlsConfig = HubConfig['tls'];
export type StorageConfig = HubConfig['storage'];
export type Auth0Config = HubConfig['auth0'];
export type LoadBalancerConfig = HubConfig['loadBalancer'];
export type NodeConfig = HubConfig['cluster']['nodes'][number];
export type ProfileConfig = z.output<typeof ProfileSchema>;
