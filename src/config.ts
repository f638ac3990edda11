/**
 * The one file to edit: your hub, described in typed config. `npx cdk8s synth` turns it into
 * dist/. Every field is documented in src/config/schema.ts and in README.md ("Config reference").
 *
 * No secrets here: the Auth0 client secret comes from env AUTH0_CLIENT_SECRET or the gitignored
 * file .secrets/auth0-client-secret, and the hub's own secrets are generated into .secrets/.
 *
 * To use a YAML or JSON file instead, set HUB_CONFIG=path/to/config.yaml (same schema).
 */
import type { HubConfigInput } from './config/schema';

export const config: HubConfigInput = {
  namespace: 'jupyterhub',
  releaseName: 'jupyterhub',
  domain: 'hub.example.org',
  chartVersion: '3.1.0',

  // MetalLB hands out addresses from this pool; the hub keeps a fixed one.
  loadBalancer: {
    addressPool: '192.168.1.240-192.168.1.250',
    hubIP: '192.168.1.240',
  },

  // Let's Encrypt needs the domain to resolve to the hub IP from the internet (port 80 open).
  // For your own certificate: { mode: 'secret', certFile: 'tls/hub.crt', keyFile: 'tls/hub.key' }.
  tls: { mode: 'letsencrypt', contactEmail: 'admin@example.org' },

  storage: {
    hostDirectory: '/srv/jupyterhub',
    userCapacity: '10Gi',
    reclaimPolicy: 'Retain',
  },

  auth0: {
    domain: 'my-team.eu.auth0.com',
    clientId: 'REPLACE_WITH_AUTH0_CLIENT_ID',
    scopes: ['openid', 'email'],
    adminUsers: ['admin@example.org'],
    allowedUsers: ['analyst1@example.org', 'analyst2@example.org'],
  },

  resources: {
    cpuGuarantee: 0.5,
    cpuLimit: 2,
    memoryGuarantee: '1G',
    memoryLimit: '4G',
  },

  cull: { enabled: true, timeoutSeconds: 3600 },
};
