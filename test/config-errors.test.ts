/**
 * Bad configs: every field, every cross-field rule, wrong types, unknown keys, hostile strings
 * and misplaced secrets. Each must be a ConfigError that names the path, shows the value (unless
 * secret), and carries no stack trace; the CLI must exit 1 and leave dist/ untouched.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { schemaFieldPaths } from '../src/config/zod-adapter';
import { ConfigError } from '../src/config/errors';
import { parseConfig, readConfigFile } from '../src/config/load';
import { HubConfigSchema } from '../src/config/schema';
import { synthesize } from '../src/output/synth';
import { baseConfig, runTs, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

/** PEM key markers, built at run time: no tracked file holds a literal key header. */
const PEM_BEGIN = `-----BEGIN ${'PRIVATE'} KEY-----`;
const PEM_END = `-----END ${'PRIVATE'} KEY-----`;

const work = tmpdir('mk8s-jh-config-errors-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

type Mutable = Record<string, any>;

/** A private, deeply copied base config to mutate. */
function base(): Mutable {
  return structuredClone(baseConfig()) as Mutable;
}

const PEM_KEY = [
  PEM_BEGIN,
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVh7Yc0mQ2q6m8dZx',
  'Q2m5m2i0oZyL3d1vR5o1ZkNq9xGhRANCAAQx0l3b8m7bQ0F9s1oQm3bC9p1aL2nJ',
  PEM_END,
  '',
].join('\n');

interface Row {
  readonly name: string;
  readonly mutate: (c: Mutable) => void;
  /** The config path the message must name (as printed). */
  readonly path: string;
  /** Must appear in that problem's shown value (and so in the message). */
  readonly value?: string;
  /** Must appear in that problem's message or fix: every row checks what the user reads, not only where. */
  readonly says: RegExp;
  /** Must appear nowhere in the error (a secret, or raw hostile text). */
  readonly never?: readonly string[];
}

const LONG = 'a'.repeat(5000);
const STACK_KEY = 'evil\n    at Object.<anonymous> (/x.js:1:1)';

const rows: Row[] = [
  // --- top level -------------------------------------------------------------------------------
  { name: 'namespace with capitals', mutate: (c) => { c.namespace = 'JupyterHub'; }, path: 'namespace', value: '"JupyterHub"', says: /lower-case/ },
  { name: 'namespace with Helm template syntax', mutate: (c) => { c.namespace = '{{ .Values.x }}'; }, path: 'namespace', value: '"{{ .Values.x }}"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'namespace very long', mutate: (c) => { c.namespace = LONG; }, path: 'namespace', value: '"aaaaaaaaaa', says: /at most 63/, never: [LONG] },
  { name: 'releaseName over 53 characters', mutate: (c) => { c.releaseName = 'r'.repeat(54); }, path: 'releaseName', value: '"rrrr', says: /at most 53/ },
  { name: 'releaseName with a newline and YAML', mutate: (c) => { c.releaseName = 'hub\nkind: Secret'; }, path: 'releaseName', value: '"hub\\nkind: Secret"', never: ['hub\nkind'], says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'releaseName empty', mutate: (c) => { c.releaseName = ''; }, path: 'releaseName', value: '""', says: /must not be empty/ },
  { name: 'domain with a scheme', mutate: (c) => { c.domain = 'https://hub.example.org'; }, path: 'domain', value: '"https://hub.example.org"', says: /DNS name/ },
  { name: 'domain with one label', mutate: (c) => { c.domain = 'localhost'; }, path: 'domain', value: '"localhost"', says: /must be a DNS name such as \"hub\.example\.org\"/ },
  { name: 'domain with an underscore', mutate: (c) => { c.domain = 'hub_1.example.org'; }, path: 'domain', value: '"hub_1.example.org"', says: /must be a DNS name such as \"hub\.example\.org\"/ },
  { name: 'domain empty', mutate: (c) => { c.domain = ''; }, path: 'domain', value: '""', says: /must be a DNS name/ },
  { name: 'domain missing', mutate: (c) => { delete c.domain; }, path: 'domain', says: /is required/ },
  { name: 'domain of the wrong type', mutate: (c) => { c.domain = ['hub.example.org']; }, path: 'domain', value: '[list of 1]', says: /must be string, not array/ },
  { name: 'chartVersion not a version', mutate: (c) => { c.chartVersion = 'latest'; }, path: 'chartVersion', value: '"latest"', says: /3\.1\.0/ },
  { name: 'chartVersion as a number', mutate: (c) => { c.chartVersion = 3.1; }, path: 'chartVersion', value: '3.1', says: /must be string, not number/ },
  { name: 'unknown top-level key (typo)', mutate: (c) => { c.namepsace = 'hub'; }, path: 'namepsace', value: '"hub"', says: /did you mean "namespace"/ },
  { name: 'unknown key that tries to fake a stack trace', mutate: (c) => { c[STACK_KEY] = 1; }, path: '["evil\\n    at Object.<anonymous> (/x.js:1:1)"]', says: /unknown key/, never: [STACK_KEY] },
  { name: 'unknown key holding Helm template syntax', mutate: (c) => { c.auth0['{{ .Values.x }}'] = 1; }, path: 'auth0["{{ .Values.x }}"]', says: /unknown key/ },
  { name: 'unknown key very long', mutate: (c) => { c['k'.repeat(3000)] = 1; }, path: `["${'k'.repeat(62)}...]`, says: /unknown key/, never: ['k'.repeat(100)] },

  // --- loadBalancer ----------------------------------------------------------------------------
  { name: 'loadBalancer not a mapping', mutate: (c) => { c.loadBalancer = '192.168.1.240'; }, path: 'loadBalancer', value: '"192.168.1.240"', says: /must be object, not string/ },
  { name: 'addressPool range reversed', mutate: (c) => { c.loadBalancer.addressPool = '192.168.1.250-192.168.1.240'; }, path: 'loadBalancer.addressPool', value: '"192.168.1.250-192.168.1.240"', says: /ends before it starts/ },
  { name: 'addressPool CIDR with host bits', mutate: (c) => { c.loadBalancer = { addressPool: '10.0.0.5/24', hubIP: '10.0.0.5' }; }, path: 'loadBalancer.addressPool', value: '"10.0.0.5/24"', says: /did you mean "10\.0\.0\.0\/24"/ },
  { name: 'addressPool empty', mutate: (c) => { c.loadBalancer.addressPool = ''; }, path: 'loadBalancer.addressPool', value: '""', says: /must be an IPv4 range \"192\.168\.1\.240-192\.168\.1\.250\" or CIDR/ },
  { name: 'hubIP not an address', mutate: (c) => { c.loadBalancer.hubIP = '192.168.1.300'; }, path: 'loadBalancer.hubIP', value: '"192.168.1.300"', says: /IPv4 address/ },
  { name: 'hubIP outside the pool', mutate: (c) => { c.loadBalancer.hubIP = '10.0.0.1'; }, path: 'loadBalancer.hubIP', value: '"10.0.0.1"', says: /outside the MetalLB pool 192\.168\.1\.240-192\.168\.1\.250[\s\S]*pick a free address/ },
  { name: 'hubIP is the network address of a CIDR pool', mutate: (c) => { c.loadBalancer = { addressPool: '10.0.0.0/24', hubIP: '10.0.0.0' }; }, path: 'loadBalancer.hubIP', value: '"10.0.0.0"', says: /network address of 10\.0\.0\.0\/24/ },
  { name: 'hubIP is the broadcast address of a CIDR pool', mutate: (c) => { c.loadBalancer = { addressPool: '10.0.0.0/24', hubIP: '10.0.0.255' }; }, path: 'loadBalancer.hubIP', value: '"10.0.0.255"', says: /broadcast address of 10\.0\.0\.0\/24/ },
  // Unusable pools (issue 12): each refused with the reason and a LAN range as the fix.
  { name: 'addressPool 0.0.0.0/0 with hubIP 8.8.8.8 (the issue\'s case)', mutate: (c) => { c.loadBalancer = { addressPool: '0.0.0.0/0', hubIP: '8.8.8.8' }; }, path: 'loadBalancer.addressPool', value: '"0.0.0.0/0"', says: /includes 0\.0\.0\.0\/8, which is unspecified address space[\s\S]*use a few free addresses of the LAN/ },
  { name: 'hubIP 8.8.8.8 with pool 0.0.0.0/0: the hub IP is public', mutate: (c) => { c.loadBalancer = { addressPool: '0.0.0.0/0', hubIP: '8.8.8.8' }; }, path: 'loadBalancer.hubIP', value: '"8.8.8.8"', says: /is public address space/ },
  { name: 'addressPool of public addresses', mutate: (c) => { c.loadBalancer = { addressPool: '8.8.8.0/24', hubIP: '8.8.8.8' }; }, path: 'loadBalancer.addressPool', value: '"8.8.8.0/24"', says: /is public address space \(not 10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16 or 100\.64\.0\.0\/10\)[\s\S]*set loadBalancer\.allowPublicAddresses: true/ },
  { name: 'addressPool half private, half public', mutate: (c) => { c.loadBalancer = { addressPool: '192.167.255.250-192.168.0.10', hubIP: '192.168.0.5' }; }, path: 'loadBalancer.addressPool', says: /is public address space/ },
  { name: 'addressPool larger than a /16', mutate: (c) => { c.loadBalancer = { addressPool: '10.0.0.0/8', hubIP: '10.0.0.5' }; }, path: 'loadBalancer.addressPool', value: '"10.0.0.0/8"', says: /holds 16,777,216 addresses, more than a \/16/ },
  { name: 'addressPool loopback', mutate: (c) => { c.loadBalancer = { addressPool: '127.0.0.0/24', hubIP: '127.0.0.5' }; }, path: 'loadBalancer.addressPool', says: /is loopback/ },
  { name: 'hubIP loopback', mutate: (c) => { c.loadBalancer = { addressPool: '127.0.0.0/24', hubIP: '127.0.0.5' }; }, path: 'loadBalancer.hubIP', value: '"127.0.0.5"', says: /is loopback[\s\S]*pick a free address of the LAN/ },
  { name: 'addressPool multicast', mutate: (c) => { c.loadBalancer = { addressPool: '224.0.0.1-224.0.0.9', hubIP: '224.0.0.2' }; }, path: 'loadBalancer.addressPool', says: /is multicast/ },
  { name: 'addressPool reaching the broadcast address', mutate: (c) => { c.loadBalancer = { addressPool: '255.255.255.250-255.255.255.255', hubIP: '255.255.255.251' }; }, path: 'loadBalancer.addressPool', says: /reserved space .* or the broadcast address/ },
  { name: 'addressPool link-local', mutate: (c) => { c.loadBalancer = { addressPool: '169.254.1.0/24', hubIP: '169.254.1.5' }; }, path: 'loadBalancer.addressPool', says: /is link-local/ },
  { name: 'addressPool from the documentation', mutate: (c) => { c.loadBalancer = { addressPool: '192.0.2.0/28', hubIP: '192.0.2.5' }; }, path: 'loadBalancer.addressPool', says: /reserved for documentation/ },
  { name: 'allowPublicAddresses not a boolean', mutate: (c) => { c.loadBalancer.allowPublicAddresses = 'yes'; }, path: 'loadBalancer.allowPublicAddresses', value: '"yes"', says: /must be boolean, not string/ },
  { name: 'poolName not a DNS label', mutate: (c) => { c.loadBalancer.poolName = 'Pool_1'; }, path: 'loadBalancer.poolName', value: '"Pool_1"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  // --- microk8s ----------------------------------------------------------------------------------
  { name: 'microk8s not a mapping', mutate: (c) => { c.microk8s = '1.32'; }, path: 'microk8s', value: '"1.32"', says: /must be object, not string/ },
  { name: 'microk8s.release unquoted (YAML number)', mutate: (c) => { c.microk8s = { release: 1.3 }; }, path: 'microk8s.release', value: '1.3', says: /in quotes such as "1\.32"/ },
  { name: 'microk8s.release unsupported', mutate: (c) => { c.microk8s = { release: '1.27' }; }, path: 'microk8s.release', value: '"1.27"', says: /supported MicroK8s release: "1\.28", [\s\S]*"1\.35"/ },
  { name: 'loadBalancer key with wrong case', mutate: (c) => { c.loadBalancer.hubIp = c.loadBalancer.hubIP; delete c.loadBalancer.hubIP; }, path: 'loadBalancer.hubIp', value: '"192.168.1.241"', says: /did you mean "hubIP"/ },

  // --- tls -------------------------------------------------------------------------------------
  { name: 'tls.mode misspelt', mutate: (c) => { c.tls.mode = 'letsencrpyt'; }, path: 'tls.mode', value: '"letsencrpyt"', says: /"secret", "letsencrypt", "none"/ },
  { name: 'tls.contactEmail not an email', mutate: (c) => { c.tls.contactEmail = 'admin'; }, path: 'tls.contactEmail', value: '"admin"', says: /email address/ },
  { name: 'tls.acmeServer over http', mutate: (c) => { c.tls.acmeServer = 'http://acme.example.org/directory'; }, path: 'tls.acmeServer', value: '"http://acme.example.org/directory"', says: /https:\/\// },
  { name: 'tls.acmeServer with a newline and a template', mutate: (c) => { c.tls.acmeServer = 'https://acme.example.org/dir\n{{ .Values.x }}'; }, path: 'tls.acmeServer', value: '\\n{{ .Values.x }}', says: /line breaks/ },
  { name: 'tls mode none without allowInsecureCallback', mutate: (c) => { c.tls = { mode: 'none' }; }, path: 'tls.allowInsecureCallback', says: /must be true/ },
  { name: 'tls mode none with allowInsecureCallback false', mutate: (c) => { c.tls = { mode: 'none', allowInsecureCallback: false }; }, path: 'tls.allowInsecureCallback', value: 'false', says: /must be true/ },
  { name: 'tls.certFile empty', mutate: (c) => { c.tls = { mode: 'secret', certFile: '', keyFile: 'hub.key' }; }, path: 'tls.certFile', value: '""', says: /must not be empty/ },
  { name: 'tls.keyFile holds the pasted key itself', mutate: (c) => { c.tls = { mode: 'secret', certFile: 'hub.crt', keyFile: PEM_KEY }; }, path: 'tls.keyFile', value: '(hidden', says: /path to a PEM file/, never: PEM_KEY.split('\n').filter((l) => l.length > 8) },
  { name: 'tls.secretName not a DNS label (its value is shown)', mutate: (c) => { c.tls = { mode: 'secret', certFile: 'hub.crt', keyFile: 'hub.key', secretName: 'Hub TLS' }; }, path: 'tls.secretName', value: '"Hub TLS"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'tls.certFile with mode letsencrypt', mutate: (c) => { c.tls.certFile = 'hub.crt'; }, path: 'tls.certFile', value: '"hub.crt"', says: /belongs to tls\.mode "secret"/ },
  { name: 'tls missing', mutate: (c) => { delete c.tls; }, path: 'tls', says: /is required/ },
  { name: 'a password pasted into tls', mutate: (c) => { c.tls.password = 'hunter2'; }, path: 'tls.password', value: '(hidden', never: ['hunter2'], says: /unknown key \"password\"[\s\S]*secrets never go in the config file/ },

  // --- storage ---------------------------------------------------------------------------------
  { name: 'storage as a string', mutate: (c) => { c.storage = '/srv/jupyterhub'; }, path: 'storage', value: '"/srv/jupyterhub"', says: /must be object, not string/ },
  { name: 'storage.hostDirectory is /', mutate: (c) => { c.storage = { hostDirectory: '/' }; }, path: 'storage.hostDirectory', value: '"/"', says: /root directory/ },
  { name: 'storage.hostDirectory under /proc', mutate: (c) => { c.storage = { hostDirectory: '/proc/jupyterhub' }; }, path: 'storage.hostDirectory', value: '"/proc/jupyterhub"', says: /under \/proc/ },
  { name: 'storage.hostDirectory under /sys', mutate: (c) => { c.storage = { hostDirectory: '/sys/fs/hub' }; }, path: 'storage.hostDirectory', value: '"/sys/fs/hub"', says: /under \/sys/ },
  { name: 'storage.hostDirectory under /dev', mutate: (c) => { c.storage = { hostDirectory: '/dev/shm/hub' }; }, path: 'storage.hostDirectory', value: '"/dev/shm/hub"', says: /under \/dev/ },
  { name: 'storage.hostDirectory under /snap', mutate: (c) => { c.storage = { hostDirectory: '/snap/microk8s/hub' }; }, path: 'storage.hostDirectory', value: '"/snap/microk8s/hub"', says: /under \/snap/ },
  { name: 'storage.hostDirectory not normalized', mutate: (c) => { c.storage = { hostDirectory: '/srv//jupyterhub/./homes' }; }, path: 'storage.hostDirectory', value: '"/srv//jupyterhub/./homes"', says: /not a normalized path[\s\S]*write "\/srv\/jupyterhub\/homes"/ },
  { name: 'storage.hostDirectory sneaking into /proc with ..', mutate: (c) => { c.storage = { hostDirectory: '/srv/../proc/hub' }; }, path: 'storage.hostDirectory', value: '"/srv/../proc/hub"', says: /under \/proc \(it resolves to "\/proc\/hub"\)/ },
  { name: 'storage.hostDirectory relative', mutate: (c) => { c.storage = { hostDirectory: 'srv/jupyterhub' }; }, path: 'storage.hostDirectory', value: '"srv/jupyterhub"', says: /absolute path/ },
  { name: 'storage.hostDirectory with a control character', mutate: (c) => { c.storage = { hostDirectory: '/srv/hub\u0007' }; }, path: 'storage.hostDirectory', value: '"/srv/hub\\u0007"', says: /control characters/, never: ['\u0007'] },
  { name: 'storage.method unknown', mutate: (c) => { c.storage = { method: 'storageclass' }; }, path: 'storage.method', value: '"storageclass"', says: /did you mean "storageClass"/ },
  { name: 'storage.storageClassName not a DNS label', mutate: (c) => { c.storage = { storageClassName: 'Fast_SSD' }; }, path: 'storage.storageClassName', value: '"Fast_SSD"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'storage.reclaimPolicy lower-case', mutate: (c) => { c.storage = { reclaimPolicy: 'retain' }; }, path: 'storage.reclaimPolicy', value: '"retain"', says: /did you mean "Retain"/ },
  { name: 'storage.userCapacity without a unit', mutate: (c) => { c.storage = { userCapacity: '10' }; }, path: 'storage.userCapacity', value: '"10"', says: /forget the unit/ },
  { name: 'storage.userCapacity absurdly large', mutate: (c) => { c.storage = { userCapacity: '2Ei' }; }, path: 'storage.userCapacity', value: '"2Ei"', says: /more than 1 PiB/ },
  { name: 'storage.hubDatabaseCapacity not a quantity', mutate: (c) => { c.storage = { hubDatabaseCapacity: '1 Gi' }; }, path: 'storage.hubDatabaseCapacity', value: '"1 Gi"', says: /quantity/ },
  { name: 'storage.hubDatabaseCapacity as a number', mutate: (c) => { c.storage = { hubDatabaseCapacity: 1 }; }, path: 'storage.hubDatabaseCapacity', value: '1', says: /must be string, not number/ },

  // --- auth0 -----------------------------------------------------------------------------------
  { name: 'auth0.domain with a scheme', mutate: (c) => { c.auth0.domain = 'https://team.eu.auth0.com/'; }, path: 'auth0.domain', value: '"https://team.eu.auth0.com/"', says: /without "https:\/\/"/ },
  { name: 'auth0.domain with a path', mutate: (c) => { c.auth0.domain = 'team.eu.auth0.com/authorize'; }, path: 'auth0.domain', value: '"team.eu.auth0.com/authorize"', says: /without a path/ },
  { name: 'auth0.domain with a port', mutate: (c) => { c.auth0.domain = 'team.eu.auth0.com:443'; }, path: 'auth0.domain', value: '"team.eu.auth0.com:443"', says: /without a port/ },
  { name: 'auth0.domain not a DNS name', mutate: (c) => { c.auth0.domain = 'my team'; }, path: 'auth0.domain', value: '"my team"', says: /tenant domain/ },
  { name: 'auth0.clientId with spaces', mutate: (c) => { c.auth0.clientId = 'abc 123'; }, path: 'auth0.clientId', value: '"abc 123"', says: /Client ID/ },
  { name: 'auth0.clientId empty', mutate: (c) => { c.auth0.clientId = ''; }, path: 'auth0.clientId', value: '""', says: /must not be empty/ },
  { name: 'auth0.clientSecret pasted into the config', mutate: (c) => { c.auth0.clientSecret = 'hunter2'; }, path: 'auth0.clientSecret', value: '(hidden', says: /AUTH0_CLIENT_SECRET/, never: ['hunter2'] },
  { name: 'a secret-looking top-level key', mutate: (c) => { c.AUTH0_CLIENT_SECRET = 's3cr3t-value-xyz'; }, path: 'AUTH0_CLIENT_SECRET', value: '(hidden', never: ['s3cr3t-value-xyz'], says: /unknown key \"AUTH0_CLIENT_SECRET\"[\s\S]*export AUTH0_CLIENT_SECRET or write it to \.secrets\/auth0-client-secret/ },
  { name: 'auth0.scopes empty', mutate: (c) => { c.auth0.scopes = []; }, path: 'auth0.scopes', value: '[list of 0]', says: /at least one scope/ },
  { name: 'auth0.scopes with a space in a scope', mutate: (c) => { c.auth0.scopes = ['openid', 'e mail']; }, path: 'auth0.scopes[1]', value: '"e mail"', says: /scope name/ },
  { name: 'auth0.scopes without openid', mutate: (c) => { c.auth0.scopes = ['email', 'profile']; }, path: 'auth0.scopes', value: '["email","profile"]', says: /must include "openid"/ },
  { name: 'auth0.scopes without email for the email claim', mutate: (c) => { c.auth0.scopes = ['openid', 'profile']; }, path: 'auth0.scopes', value: '["openid","profile"]', says: /must include "email"/ },
  { name: 'auth0.usernameClaim with template syntax', mutate: (c) => { c.auth0.usernameClaim = '{{ .Values.x }}'; }, path: 'auth0.usernameClaim', value: '"{{ .Values.x }}"', says: /claim name/ },
  { name: 'auth0.usernameClaim very long', mutate: (c) => { c.auth0.usernameClaim = LONG; }, path: 'auth0.usernameClaim', value: '"aaaa', says: /at most 128/, never: [LONG] },
  { name: 'auth0.allowedUsers a string, not a list', mutate: (c) => { c.auth0.allowedUsers = 'a@example.org'; }, path: 'auth0.allowedUsers', value: '"a@example.org"', says: /must be array, not string/ },
  { name: 'auth0.allowedUsers with template syntax', mutate: (c) => { c.auth0.allowedUsers = ['{{ .Values.x }}']; }, path: 'auth0.allowedUsers[0]', value: '"{{ .Values.x }}"', says: /spaces or control characters/ },
  { name: 'auth0.allowedUsers with a newline and YAML', mutate: (c) => { c.auth0.allowedUsers = ['a@example.org\nkind: Secret']; }, path: 'auth0.allowedUsers[0]', value: '"a@example.org\\nkind: Secret"', never: ['org\nkind'], says: /must not contain spaces or control characters/ },
  { name: 'auth0.allowedUsers with a terminal escape', mutate: (c) => { c.auth0.allowedUsers = ['a@example.org\u001b[2J']; }, path: 'auth0.allowedUsers[0]', value: '\\u001b', never: ['\u001b'], says: /must not contain spaces or control characters/ },
  { name: 'auth0.allowedUsers very long', mutate: (c) => { c.auth0.allowedUsers = ['u'.repeat(400)]; }, path: 'auth0.allowedUsers[0]', value: '"uuuu', says: /at most 320/ },
  { name: 'auth0.allowedUsers empty string', mutate: (c) => { c.auth0.allowedUsers = ['']; }, path: 'auth0.allowedUsers[0]', value: '""', says: /must not be empty/ },
  { name: 'auth0.allowedUsers duplicate (ignoring case)', mutate: (c) => { c.auth0.allowedUsers = ['a@example.org', 'b@example.org', 'A@example.org']; }, path: 'auth0.allowedUsers[2]', value: '"A@example.org"', says: /listed twice[\s\S]*allowedUsers\[0\]/ },
  { name: 'auth0.adminUsers duplicate', mutate: (c) => { c.auth0.adminUsers = ['lead@example.org', 'lead@example.org']; }, path: 'auth0.adminUsers[1]', value: '"lead@example.org"', says: /listed twice/ },
  { name: 'auth0.adminUsers not a list', mutate: (c) => { c.auth0.adminUsers = { lead: true }; }, path: 'auth0.adminUsers', value: '{…}', says: /must be array, not object/ },
  { name: 'auth0.allowAll as a string', mutate: (c) => { c.auth0.allowAll = 'yes'; }, path: 'auth0.allowAll', value: '"yes"', says: /must be boolean, not string/ },
  { name: 'auth0.requireVerifiedEmail as a string', mutate: (c) => { c.auth0.requireVerifiedEmail = 'no'; }, path: 'auth0.requireVerifiedEmail', value: '"no"', says: /must be boolean, not string/ },
  { name: 'auth0.requireVerifiedEmail without the email scope', mutate: (c) => { c.auth0.usernameClaim = 'sub'; c.auth0.scopes = ['openid']; c.auth0.requireVerifiedEmail = true; }, path: 'auth0.requireVerifiedEmail', value: 'true', says: /no email_verified claim/ },
  { name: 'auth0.adminsCanAccessServers as a string', mutate: (c) => { c.auth0.adminsCanAccessServers = 'yes'; }, path: 'auth0.adminsCanAccessServers', value: '"yes"', says: /must be boolean, not string/ },
  { name: 'auth0.allowAll together with allowedUsers', mutate: (c) => { c.auth0.allowAll = true; }, path: 'auth0.allowAll', value: 'true', says: /no effect/ },
  { name: 'no login policy', mutate: (c) => { c.auth0.allowedUsers = []; c.auth0.adminUsers = []; }, path: 'auth0.allowedUsers', says: /nobody can log in/ },
  { name: 'auth0 key typo', mutate: (c) => { c.auth0.allowedUser = c.auth0.allowedUsers; delete c.auth0.allowedUsers; }, path: 'auth0.allowedUser', value: '[list of 1]', says: /did you mean "allowedUsers"/ },
  { name: 'auth0 missing', mutate: (c) => { delete c.auth0; }, path: 'auth0', says: /is required/ },

  // --- resources -------------------------------------------------------------------------------
  { name: 'resources as a list', mutate: (c) => { c.resources = [{ cpuLimit: 2 }]; }, path: 'resources', value: '[list of 1]', says: /must be object, not array/ },
  { name: 'cpuGuarantee above cpuLimit', mutate: (c) => { c.resources = { cpuGuarantee: 4, cpuLimit: '2' }; }, path: 'resources.cpuGuarantee', value: '4', says: /more than resources\.cpuLimit \("2"\)/ },
  { name: 'cpuGuarantee in millicores above cpuLimit', mutate: (c) => { c.resources = { cpuGuarantee: '1500m', cpuLimit: 1 }; }, path: 'resources.cpuGuarantee', value: '"1500m"', says: /more than resources\.cpuLimit/ },
  { name: 'cpuLimit with a byte unit', mutate: (c) => { c.resources = { cpuLimit: '2Gi' }; }, path: 'resources.cpuLimit', value: '"2Gi"', says: /millicores/ },
  { name: 'cpuLimit absurd', mutate: (c) => { c.resources = { cpuLimit: 5000 }; }, path: 'resources.cpuLimit', value: '5000', says: /at most 1024 cores/ },
  { name: 'cpuLimit absurd as a string', mutate: (c) => { c.resources = { cpuLimit: '100000' }; }, path: 'resources.cpuLimit', value: '"100000"', says: /at most 1024 cores/ },
  { name: 'cpuGuarantee zero', mutate: (c) => { c.resources = { cpuGuarantee: 0 }; }, path: 'resources.cpuGuarantee', value: '0', says: /more than 0/ },
  { name: 'cpuLimit of the wrong type', mutate: (c) => { c.resources = { cpuLimit: true }; }, path: 'resources.cpuLimit', value: 'true', says: /number of cores/ },
  { name: 'memoryGuarantee above memoryLimit', mutate: (c) => { c.resources = { memoryGuarantee: '8G', memoryLimit: '4G' }; }, path: 'resources.memoryGuarantee', value: '"8G"', says: /more than resources\.memoryLimit \("4G"\)/ },
  { name: 'memoryLimit without a unit', mutate: (c) => { c.resources = { memoryLimit: '4096' }; }, path: 'resources.memoryLimit', value: '"4096"', says: /needs a unit/ },
  { name: 'memoryLimit as a bare number', mutate: (c) => { c.resources = { memoryLimit: 4 }; }, path: 'resources.memoryLimit', value: '4', says: /with a unit/ },
  { name: 'memoryLimit in millibytes', mutate: (c) => { c.resources = { memoryLimit: '512m' }; }, path: 'resources.memoryLimit', value: '"512m"', says: /"M"/ },
  { name: 'memoryLimit absurd', mutate: (c) => { c.resources = { memoryLimit: '100Ti' }; }, path: 'resources.memoryLimit', value: '"100Ti"', says: /4 TiB/ },
  { name: 'memoryGuarantee too small to start Jupyter', mutate: (c) => { c.resources = { memoryGuarantee: '10M' }; }, path: 'resources.memoryGuarantee', value: '"10M"', says: /64 MiB/ },
  { name: 'resources unknown key', mutate: (c) => { c.resources = { gpuLimit: 1 }; }, path: 'resources.gpuLimit', value: '1', says: /unknown key/ },

  // --- notebook --------------------------------------------------------------------------------
  { name: 'notebook as null', mutate: (c) => { c.notebook = null; }, path: 'notebook', value: 'null', says: /must be object, not null/ },
  { name: 'image tag latest', mutate: (c) => { c.notebook = { image: { name: 'quay.io/jupyter/scipy-notebook', tag: 'latest' } }; }, path: 'notebook.image.tag', value: '"latest"', says: /pinned/ },
  { name: 'image name carrying the tag', mutate: (c) => { c.notebook = { image: { name: 'quay.io/jupyter/scipy-notebook:latest', tag: '2024-05-27' } }; }, path: 'notebook.image.name', value: '"quay.io/jupyter/scipy-notebook:latest"', says: /must not include a tag/ },
  { name: 'image name with capitals', mutate: (c) => { c.notebook = { image: { name: 'Quay.io/Jupyter/scipy-notebook', tag: '2024-05-27' } }; }, path: 'notebook.image.name', value: '"Quay.io/Jupyter/scipy-notebook"', says: /must be an image name such as/ },
  { name: 'image tag empty', mutate: (c) => { c.notebook = { image: { name: 'quay.io/jupyter/scipy-notebook', tag: '' } }; }, path: 'notebook.image.tag', value: '""', says: /must not be empty/ },
  { name: 'image as one string', mutate: (c) => { c.notebook = { image: 'quay.io/jupyter/scipy-notebook:2024-05-27' }; }, path: 'notebook.image', value: '"quay.io/jupyter/scipy-notebook:2024-05-27"', says: /must be object, not string/ },
  { name: 'defaultUrl without a leading slash', mutate: (c) => { c.notebook = { defaultUrl: 'lab' }; }, path: 'notebook.defaultUrl', value: '"lab"', says: /"\/lab"/ },

  // --- cull ------------------------------------------------------------------------------------
  { name: 'cull as a boolean', mutate: (c) => { c.cull = false; }, path: 'cull', value: 'false', says: /must be object, not boolean/ },
  { name: 'cull.timeoutSeconds too short', mutate: (c) => { c.cull = { timeoutSeconds: 60 }; }, path: 'cull.timeoutSeconds', value: '60', says: /at least 300/ },
  { name: 'cull.timeoutSeconds not whole', mutate: (c) => { c.cull = { timeoutSeconds: 3600.5 }; }, path: 'cull.timeoutSeconds', value: '3600.5', says: /integer/ },
  { name: 'cull.enabled as a string', mutate: (c) => { c.cull = { enabled: 'true' }; }, path: 'cull.enabled', value: '"true"', says: /must be boolean, not string/ },
  // --- cluster, profiles, GPUs, team image, shared data, capacity (data-analysis environment) ---
  { name: 'cluster not a mapping', mutate: (c) => { c.cluster = 'big'; }, path: 'cluster', value: '"big"', says: /must be object, not string/ },
  { name: 'cluster.nodes empty', mutate: (c) => { c.cluster = { nodes: [] }; }, path: 'cluster.nodes', says: /at least one node/ },
  { name: 'cluster.nodes[0].cpus zero', mutate: (c) => { c.cluster = { nodes: [{ name: 'n1', cpus: 0, memory: '8Gi' }] }; }, path: 'cluster.nodes[0].cpus', value: '0', says: /must be more than 0/ },
  { name: 'cluster node memory without unit', mutate: (c) => { c.cluster = { nodes: [{ name: 'n1', cpus: 4, memory: '32' }] }; }, path: 'cluster.nodes[0].memory', value: '"32"', says: /unit/ },
  { name: 'cluster node listed twice', mutate: (c) => { c.cluster = { nodes: [{ name: 'n1', cpus: 4, memory: '8Gi' }, { name: 'n1', cpus: 4, memory: '8Gi' }] }; }, path: 'cluster.nodes[1].name', value: '"n1"', says: /twice/ },
  { name: 'cluster node smaller than the reserve', mutate: (c) => { c.cluster = { nodes: [{ name: 'n1', cpus: 4, memory: '1Gi' }] }; }, path: 'cluster.nodes[0].memory', says: /leaves nothing/ },
  { name: 'cluster.reservedCpusPerNode negative', mutate: (c) => { c.cluster = { reservedCpusPerNode: -1 }; }, path: 'cluster.reservedCpusPerNode', value: '-1', says: /must be at least 0/ },
  { name: 'cluster.reservedMemoryPerNode not a quantity', mutate: (c) => { c.cluster = { reservedMemoryPerNode: 'lots' }; }, path: 'cluster.reservedMemoryPerNode', value: '"lots"', says: /must be a positive Kubernetes quantity/ },
  { name: 'profiles empty list', mutate: (c) => { c.profiles = []; }, path: 'profiles', says: /at least one profile/ },
  { name: 'profile without preset, name or image', mutate: (c) => { c.profiles = [{ displayName: 'Mine' }]; }, path: 'profiles[0].name', says: /required for a profile without a preset/ },
  { name: 'profile with an unknown preset', mutate: (c) => { c.profiles = [{ preset: 'pytorch' }]; }, path: 'profiles[0].preset', value: '"pytorch"', says: /must be one of \"data-science\", \"deep-learning\", \"team\", \"gpu\"/ },
  { name: 'profile image latest', mutate: (c) => { c.profiles = [{ name: 'x', image: { name: 'quay.io/jupyter/base-notebook', tag: 'latest' } }]; }, path: 'profiles[0].image.tag', value: '"latest"', says: /pinned/ },
  { name: 'two profiles with one name', mutate: (c) => { c.profiles = [{ preset: 'data-science' }, { preset: 'data-science' }]; }, path: 'profiles[1].name', says: /used twice/ },
  { name: 'GPU profile without GPUs', mutate: (c) => { c.profiles = [{ preset: 'gpu' }]; }, path: 'profiles[0].preset', says: /no node in cluster\.nodes has one/ },
  { name: 'profile guarantee above its limit', mutate: (c) => { c.profiles = [{ preset: 'data-science', cpuGuarantee: 4, cpuLimit: 2 }]; }, path: 'profiles[0].cpuGuarantee', value: '4', says: /more than the CPU limit \(2\) of this profile[\s\S]*lower the guarantee or raise cpuLimit/ },
  { name: 'gpu.perUser zero', mutate: (c) => { c.gpu = { perUser: 0 }; }, path: 'gpu.perUser', value: '0', says: /must be at least 1/ },
  { name: 'gpu.image tag latest', mutate: (c) => { c.gpu = { image: { name: 'quay.io/jupyter/tensorflow-notebook', tag: 'latest' } }; }, path: 'gpu.image.tag', value: '"latest"', says: /must be pinned/ },
  { name: 'gpu.image name with a tag', mutate: (c) => { c.gpu = { image: { name: 'quay.io/x:1', tag: '1' } }; }, path: 'gpu.image.name', says: /must not include a tag/ },
  { name: 'teamImage.enabled a string', mutate: (c) => { c.teamImage = { enabled: 'yes' }; }, path: 'teamImage.enabled', value: '"yes"', says: /must be boolean, not string/ },
  { name: 'teamImage.name with spaces', mutate: (c) => { c.teamImage = { name: 'my image' }; }, path: 'teamImage.name', value: '"my image"', says: /must be an image name such as/ },
  { name: 'teamImage.tag latest', mutate: (c) => { c.teamImage = { tag: 'latest' }; }, path: 'teamImage.tag', value: '"latest"', says: /must be pinned, not \"latest\"/ },
  { name: 'sharedData not a mapping', mutate: (c) => { c.sharedData = ['x']; }, path: 'sharedData', says: /must be object, not array/ },
  { name: 'sharedData.datasets unknown type', mutate: (c) => { c.sharedData = { datasets: { type: 'nfs', path: '/x' } }; }, path: 'sharedData.datasets.type', value: '"nfs"', says: /must be one of \"hostPath\", \"pvc\", \"backend\"/ },
  { name: 'sharedData.datasets relative path', mutate: (c) => { c.sharedData = { datasets: { type: 'hostPath', path: 'data' } }; }, path: 'sharedData.datasets.path', value: '"data"', says: /must be an absolute path/ },
  { name: 'sharedData.datasets claim with capitals', mutate: (c) => { c.sharedData = { datasets: { type: 'pvc', claimName: 'Data' } }; }, path: 'sharedData.datasets.claimName', value: '"Data"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'sharedData.datasetsMountPath over the home', mutate: (c) => { c.sharedData = { datasetsMountPath: '/home/jovyan' }; }, path: 'sharedData.datasetsMountPath', says: /home directory/ },
  { name: 'sharedData.teamFolder missing claimName', mutate: (c) => { c.sharedData = { teamFolder: { type: 'pvc' } }; }, path: 'sharedData.teamFolder.claimName', says: /required/ },
  { name: 'sharedData.teamFolder.type missing', mutate: (c) => { c.sharedData = { teamFolder: { path: '/srv/team' } }; }, path: 'sharedData.teamFolder.type', says: /is required: one of "hostPath", "pvc", "backend"/ },
  { name: 'sharedData.teamFolder.path under /proc', mutate: (c) => { c.sharedData = { teamFolder: { type: 'hostPath', path: '/proc/team' } }; }, path: 'sharedData.teamFolder.path', value: '"/proc/team"', says: /is under \/proc, which is the kernel's process table/ },
  { name: 'sharedData.datasets.path sneaking into /sys with ..', mutate: (c) => { c.sharedData = { datasets: { type: 'hostPath', path: '/srv/data/../../sys' } }; }, path: 'sharedData.datasets.path', value: '"/srv/data/../../sys"', says: /is under \/sys \(it resolves to "\/sys"\)/ },
  { name: 'sharedData.teamFolder.path relative', mutate: (c) => { c.sharedData = { teamFolder: { type: 'hostPath', path: 'x' } }; }, path: 'sharedData.teamFolder.path', value: '"x"', says: /must be an absolute path/ },
  { name: 'sharedData mount paths collide', mutate: (c) => { c.sharedData = { datasets: { type: 'hostPath', path: '/srv/d' }, teamFolder: { type: 'hostPath', path: '/srv/t' }, teamFolderMountPath: '/home/jovyan/datasets' }; }, path: 'sharedData.teamFolderMountPath', says: /same as/ },
  { name: 'gpu not a mapping', mutate: (c) => { c.gpu = 2; }, path: 'gpu', value: '2', says: /must be object, not number/ },
  { name: 'gpu.image a string', mutate: (c) => { c.gpu = { image: 'quay.io/jupyter/tensorflow-notebook:cuda' }; }, path: 'gpu.image', says: /must be object, not string/ },
  { name: 'teamImage not a mapping', mutate: (c) => { c.teamImage = true; }, path: 'teamImage', value: 'true', says: /must be object, not boolean/ },
  { name: 'sharedData.datasets a string', mutate: (c) => { c.sharedData = { datasets: '/srv/data' }; }, path: 'sharedData.datasets', says: /must be object, not string/ },
  { name: 'sharedData.teamFolder a list', mutate: (c) => { c.sharedData = { teamFolder: [] }; }, path: 'sharedData.teamFolder', says: /must be object, not array/ },
  // --- several nodes: storage backends, placement, hub database -----------------------------------
  { name: 'storage.homes unknown backend', mutate: (c) => { c.storage = { homes: 'ceph' }; }, path: 'storage.homes', value: '"ceph"', says: /one of/ },
  { name: 'storage.hubDatabase unknown backend', mutate: (c) => { c.storage = { hubDatabase: 'local' }; }, path: 'storage.hubDatabase', value: '"local"', says: /must be one of \"hostpath\", \"nfs\", \"mayastor\", \"cephfs\"/ },
  { name: 'storage.pinHostpathToNode not a node', mutate: (c) => { c.storage = { pinHostpathToNode: 'ghost' }; }, path: 'storage.pinHostpathToNode', value: '"ghost"', says: /not a node in cluster\.nodes/ },
  { name: 'storage.nfs missing when used', mutate: (c) => { c.storage = { homes: 'nfs' }; }, path: 'storage.nfs', says: /required/ },
  { name: 'storage.nfs not a mapping', mutate: (c) => { c.storage = { nfs: 'nfs.example.org:/x' }; }, path: 'storage.nfs', says: /must be object, not string/ },
  { name: 'storage.nfs.server with a scheme', mutate: (c) => { c.storage = { nfs: { setup: 'csi-driver-nfs', server: 'nfs://x', share: '/e' } }; }, path: 'storage.nfs.server', value: '"nfs://x"', says: /must be a host name or IP/ },
  { name: 'storage.nfs.share relative', mutate: (c) => { c.storage = { nfs: { setup: 'csi-driver-nfs', server: 'nfs.example.org', share: 'export' } }; }, path: 'storage.nfs.share', value: '"export"', says: /must be an absolute path/ },
  { name: 'storage.nfs.mountOptions with a space', mutate: (c) => { c.storage = { nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', mountOptions: ['rw, hard'] } }; }, path: 'storage.nfs.mountOptions[0]', says: /must be a mount option such as/ },
  { name: 'storage.nfs.setup missing (a config from before setup)', mutate: (c) => { c.storage = { nfs: { server: 'n.example.org', share: '/e' } }; }, path: 'storage.nfs.setup', says: /is required: one of "csi-driver-nfs", "microk8s-addon"\nadd storage\.nfs\.setup: "csi-driver-nfs" for an existing NFS server/ },
  { name: 'storage.nfs.setup unknown', mutate: (c) => { c.storage = { nfs: { setup: 'nfs-ganesha' } }; }, path: 'storage.nfs.setup', value: '"nfs-ganesha"', says: /must be one of/ },
  { name: 'storage.nfs.subDir with ..', mutate: (c) => { c.storage = { nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', subDir: 'a/../b' } }; }, path: 'storage.nfs.subDir', value: '"a/../b"', says: /must not contain "\.\."/ },
  { name: 'storage.nfs.mountPermissions not octal', mutate: (c) => { c.storage = { nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', mountPermissions: '0999' } }; }, path: 'storage.nfs.mountPermissions', value: '"0999"', says: /must be an octal mode such as "0777"/ },
  { name: 'storage.nfs.storageClassName an addon\'s class', mutate: (c) => { c.storage = { nfs: { setup: 'microk8s-addon', storageClassName: 'nfs' } }; }, path: 'storage.nfs.storageClassName', value: '"nfs"', says: /nfs addon/ },
  { name: 'storage.mayastor.storageClassName not a DNS label', mutate: (c) => { c.storage = { mayastor: { storageClassName: 'My_Class' } }; }, path: 'storage.mayastor.storageClassName', value: '"My_Class"', says: /lower-case letters, digits and "-"/ },
  { name: 'storage.cephfs.setup unknown', mutate: (c) => { c.storage = { cephfs: { setup: 'rook' } }; }, path: 'storage.cephfs.setup', value: '"rook"', says: /must be one of "microk8s-addon", "external-ceph"/ },
  { name: 'storage.cephfs.operatorNamespace with capitals', mutate: (c) => { c.storage = { cephfs: { operatorNamespace: 'Rook' } }; }, path: 'storage.cephfs.operatorNamespace', value: '"Rook"', says: /lower-case letters, digits and "-"/ },
  { name: 'storage.cephfs.storageClassName an addon\'s class', mutate: (c) => { c.storage = { cephfs: { storageClassName: 'cephfs' } }; }, path: 'storage.cephfs.storageClassName', value: '"cephfs"', says: /connect-external-ceph/ },
  { name: 'storage.mayastor not a mapping', mutate: (c) => { c.storage = { mayastor: 3 }; }, path: 'storage.mayastor', value: '3', says: /must be object, not number/ },
  { name: 'storage.mayastor.replicas zero', mutate: (c) => { c.storage = { mayastor: { replicas: 0 } }; }, path: 'storage.mayastor.replicas', value: '0', says: /must be at least 1/ },
  { name: 'storage.mayastor.replicas more than nodes', mutate: (c) => { c.storage = { homes: 'mayastor', mayastor: { replicas: 2 } }; }, path: 'storage.mayastor.replicas', value: '2', says: /is more than the 1 node in cluster\.nodes/ },
  { name: 'storage.cephfs not a mapping', mutate: (c) => { c.storage = { cephfs: true }; }, path: 'storage.cephfs', value: 'true', says: /must be object, not boolean/ },
  { name: 'storage.cephfs.clusterID with capitals', mutate: (c) => { c.storage = { cephfs: { clusterID: 'Rook' } }; }, path: 'storage.cephfs.clusterID', value: '"Rook"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'storage.cephfs.fsName empty', mutate: (c) => { c.storage = { cephfs: { fsName: '' } }; }, path: 'storage.cephfs.fsName', value: '""', says: /must not be empty/ },
  { name: 'storage.cephfs.pool with a slash', mutate: (c) => { c.storage = { cephfs: { pool: 'a/b' } }; }, path: 'storage.cephfs.pool', value: '"a/b"', says: /lower-case letters, digits and \"-\", starting and ending with a letter or digit/ },
  { name: 'hostpath homes across three nodes', mutate: (c) => { c.cluster = { nodes: [{ name: 'a', cpus: 4, memory: '8Gi' }, { name: 'b', cpus: 4, memory: '8Gi' }, { name: 'c', cpus: 4, memory: '8Gi' }] }; c.hubDatabase = { type: 'postgres', url: 'postgresql://hub@db:5432/hub' }; }, path: 'storage.homes', says: /3 nodes/ },
  { name: 'SQLite hub database on hostpath across nodes', mutate: (c) => { c.cluster = { nodes: [{ name: 'a', cpus: 4, memory: '8Gi' }, { name: 'b', cpus: 4, memory: '8Gi' }] }; c.storage = { homes: 'mayastor' }; }, path: 'hubDatabase.type', says: /postgres/ },
  { name: 'SQLite hub database on NFS', mutate: (c) => { c.storage = { hubDatabase: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e' } }; }, path: 'storage.hubDatabase', value: '"nfs"', says: /locking/ },
  { name: 'ReadWriteOnce shared data across nodes', mutate: (c) => { c.cluster = { nodes: [{ name: 'a', cpus: 4, memory: '8Gi' }, { name: 'b', cpus: 4, memory: '8Gi' }] }; c.storage = { homes: 'mayastor', hubDatabase: 'mayastor' }; c.sharedData = { teamFolder: { type: 'backend', backend: 'mayastor' } }; }, path: 'sharedData.teamFolder.backend', says: /ReadWriteOnce/ },
  { name: 'sharedData.datasets.backend unknown', mutate: (c) => { c.sharedData = { datasets: { type: 'backend', backend: 's3' } }; }, path: 'sharedData.datasets.backend', value: '"s3"', says: /must be one of \"hostpath\", \"nfs\", \"mayastor\", \"cephfs\"/ },
  { name: 'sharedData.datasets.size not a quantity', mutate: (c) => { c.sharedData = { datasets: { type: 'backend', backend: 'nfs', size: 'big' } }; }, path: 'sharedData.datasets.size', value: '"big"', says: /must be a positive Kubernetes quantity/ },
  { name: 'sharedData.teamFolder.backend missing', mutate: (c) => { c.sharedData = { teamFolder: { type: 'backend' } }; }, path: 'sharedData.teamFolder.backend', says: /is required[\s\S]*add it/ },
  { name: 'sharedData.teamFolder.size negative', mutate: (c) => { c.sharedData = { teamFolder: { type: 'backend', backend: 'nfs', size: '-1Gi' } }; }, path: 'sharedData.teamFolder.size', value: '"-1Gi"', says: /must be a positive Kubernetes quantity/ },
  { name: 'cluster.systemPodsOn not a node', mutate: (c) => { c.cluster = { systemPodsOn: 'master' }; }, path: 'cluster.systemPodsOn', value: '"master"', says: /is not a node in cluster\.nodes[\s\S]*use one of: microk8s/ },
  { name: 'cluster.userPlaceholders negative', mutate: (c) => { c.cluster = { userPlaceholders: -2 }; }, path: 'cluster.userPlaceholders', value: '-2', says: /must be at least 0/ },
  { name: 'hubDatabase not a mapping', mutate: (c) => { c.hubDatabase = 'postgres'; }, path: 'hubDatabase', value: '"postgres"', says: /must be object, not string/ },
  { name: 'hubDatabase.type unknown', mutate: (c) => { c.hubDatabase = { type: 'mysql' }; }, path: 'hubDatabase.type', value: '"mysql"', says: /must be one of \"sqlite\", \"postgres\"/ },
  { name: 'hubDatabase.url with a password', mutate: (c) => { c.hubDatabase = { type: 'postgres', url: 'postgresql://hub:SENTINEL-db-pw@db:5432/hub' }; }, path: 'hubDatabase.url', says: /must not contain a password/, never: ['SENTINEL-db-pw'] },
  { name: 'hubDatabase.url with a password holding a slash', mutate: (c) => { c.hubDatabase = { type: 'postgres', url: 'postgresql://hub:SENTINEL/db-pw@db:5432/hub' }; }, path: 'hubDatabase.url', says: /must not contain a password/, never: ['SENTINEL/db-pw'] },
  { name: 'hubDatabase.upgradeOnStart as a string', mutate: (c) => { c.hubDatabase = { type: 'postgres', url: 'postgresql://hub@db:5432/hub', upgradeOnStart: 'true' }; }, path: 'hubDatabase.upgradeOnStart', value: '"true"', says: /must be boolean, not string/ },
  { name: 'capacity not a mapping', mutate: (c) => { c.capacity = 3; }, path: 'capacity', value: '3', says: /must be object, not number/ },
  { name: 'capacity.activeServerLimit zero', mutate: (c) => { c.capacity = { activeServerLimit: 0 }; }, path: 'capacity.activeServerLimit', value: '0', says: /must be at least 1/ },
  { name: 'capacity.expectedUsers fractional', mutate: (c) => { c.capacity = { expectedUsers: 2.5 }; }, path: 'capacity.expectedUsers', value: '2.5', says: /must be integer, not float/ },
];

/** Every line of a ConfigError message has one of these shapes; anything else was injected. */
const LINE_SHAPE = /^(Configuration error in .+ \(\d+ problems?\):|  \S.*|    \S.*|Nothing was written; dist\/ is unchanged\.|)$/;

function expectConfigError(fn: () => unknown): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, 'expected a ConfigError, but it was accepted');
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const msg = caught.message;
  assert.doesNotMatch(msg, /^\s*at /m, 'no stack-trace lines');
  assert.doesNotMatch(msg, /ZodError|Invalid input|String must|Array must|Number must/, 'no raw zod wording');
  for (const line of msg.split('\n')) assert.match(line, LINE_SHAPE, `unexpected line shape: ${JSON.stringify(line)}`);
  return caught;
}

/** Every field path of the schema (objects and the tls variants), e.g. `auth0.domain`. */

describe('bad configs are reported with path, value and no stack trace', () => {
  it('the table covers enough ground: every field of the schema', () => {
    assert.ok(rows.length >= 35, `${rows.length} rows`);
    const covered = new Set(rows.map((r) => r.path.replace(/\[\d+\]$/, '')));
    const fields = schemaFieldPaths(HubConfigSchema);
    assert.ok(fields.length > 30, fields.join(', '));
    assert.deepEqual(fields.filter((f) => !covered.has(f)), [], 'fields without a bad-config row');
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'row names are unique');
    assert.doesNotThrow(() => parseConfig(base(), 'base.yaml'), 'the base config itself is valid');
  });

  for (const row of rows) {
    it(row.name, () => {
      const c = base();
      row.mutate(c);
      const err = expectConfigError(() => parseConfig(c, 'bad.yaml'));
      const msg = err.message;
      const issue = err.issues.find((i) => i.path === row.path);
      assert.ok(issue, `no problem at ${row.path}; got: ${err.issues.map((i) => i.path).join(', ')}\n${msg}`);
      assert.ok(msg.includes(`\n  ${row.path}`), `message names ${row.path}:\n${msg}`);
      if (row.value !== undefined) {
        assert.ok(issue.value?.includes(row.value), `value of ${row.path} shows ${row.value}; got ${issue.value}`);
        assert.ok(msg.includes(row.value));
      }
      assert.match(`${issue.message}\n${issue.fix ?? ''}`, row.says);
      for (const s of row.never ?? []) assert.ok(!msg.includes(s), `message must not contain ${JSON.stringify(s.slice(0, 40))}:\n${msg}`);
      assert.match(msg, /^Configuration error in bad\.yaml \(\d+ problems?\):/);
    });
  }
});

describe('address pools MetalLB can use are accepted', () => {
  const accepts = (lb: Record<string, unknown>) => assert.doesNotThrow(() => parseConfig({ ...base(), loadBalancer: lb }, 'ok.yaml'), JSON.stringify(lb));
  it('private and shared (100.64.0.0/10) space up to a /16, and public space when the user says it is theirs', () => {
    accepts({ addressPool: '10.1.0.0/16', hubIP: '10.1.2.3' });
    accepts({ addressPool: '172.31.255.0/24', hubIP: '172.31.255.10' });
    accepts({ addressPool: '100.64.0.0/24', hubIP: '100.64.0.4' });
    accepts({ addressPool: '192.168.1.240-192.168.1.240', hubIP: '192.168.1.240' });
    accepts({ addressPool: '130.225.0.240/28', hubIP: '130.225.0.241', allowPublicAddresses: true });
    // allowPublicAddresses does not open the refused kinds.
    const err = expectConfigError(() => parseConfig({ ...base(), loadBalancer: { addressPool: '0.0.0.0/0', hubIP: '8.8.8.8', allowPublicAddresses: true } }, 'bad.yaml'));
    assert.deepEqual(err.issues.map((i) => i.path), ['loadBalancer.addressPool']);
    assert.match(expectConfigError(() => parseConfig({ ...base(), loadBalancer: { addressPool: '10.0.0.0/15', hubIP: '10.0.0.5' } }, 'bad.yaml')).message, /holds 131,072 addresses/);
  });
});

describe('several problems at once', () => {
  it('reports every independent problem in one error', () => {
    const c = base();
    c.domain = 'https://hub.example.org';
    c.loadBalancer.hubIP = '10.0.0.1';
    c.auth0.domain = 'https://team.eu.auth0.com/';
    c.auth0.clientSecret = 'hunter2';
    c.resources = { memoryGuarantee: '8G', memoryLimit: '4G', cpuLimit: '2Gi' };
    c.storage = { hostDirectory: '/' };
    c.notebook = { image: { name: 'quay.io/jupyter/scipy-notebook', tag: 'latest' } };
    c.cull = { timeoutSeconds: 10 };
    c.tlss = {};
    const err = expectConfigError(() => parseConfig(c, 'bad.yaml'));
    const paths = err.issues.map((i) => i.path);
    const expected = [
      'domain', 'loadBalancer.hubIP', 'auth0.domain', 'auth0.clientSecret', 'resources.memoryGuarantee', 'resources.cpuLimit',
      'storage.hostDirectory', 'notebook.image.tag', 'cull.timeoutSeconds', 'tlss',
    ];
    for (const p of expected) assert.ok(paths.includes(p), `${p} reported; got ${paths.join(', ')}`);
    assert.match(err.message, new RegExp(`\\(${err.issues.length} problems\\)`));
    assert.ok(!err.message.includes('hunter2'));
    assert.equal(new Set(paths.map((p, i) => `${p}|${err.issues[i].message}`)).size, paths.length, 'no duplicates');
  });

  it('does not pile noise on a mistyped section', () => {
    const c = base();
    c.auth0 = 'team.eu.auth0.com';
    const err = expectConfigError(() => parseConfig(c, 'bad.yaml'));
    assert.deepEqual(err.issues.map((i) => i.path), ['auth0']);
  });

  it('refuses a top-level list, a scalar and null', () => {
    for (const input of [[base()], 'domain: hub.example.org', null]) {
      const err = expectConfigError(() => parseConfig(input, 'bad.yaml'));
      assert.equal(err.issues[0].path, '(top level)');
    }
  });
});

describe('config files', () => {
  const dir = path.join(work, 'files');
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('malformed YAML: line number, no snippet of the file', () => {
    const file = write('bad.yaml', 'domain: hub.example.org\nauth0:\n  domain: team.eu.auth0.com\n   clientSecret: "hunter2"\n');
    const err = expectConfigError(() => readConfigFile(file));
    assert.match(err.message, /is not valid YAML: .* at line 4, column \d+/);
    assert.ok(!err.message.includes('hunter2'));
  });

  it('malformed JSON: line and column, and the text (here a secret) is never quoted', () => {
    const file = write('bad.json', '{\n  "domain": "hub.example.org",\n  "auth0": {"clientSecret": hunter2}\n}\n');
    const err = expectConfigError(() => readConfigFile(file));
    assert.match(err.message, /is not valid JSON: unexpected character at line 3, column 29/);
    assert.ok(!err.message.includes('hunter2'), err.message);
  });

  it('JSON cut short and JSON with a missing comma', () => {
    let err = expectConfigError(() => readConfigFile(write('short.json', '{"domain": "hub.example.org"')));
    assert.match(err.message, /unexpected end of file/);
    err = expectConfigError(() => readConfigFile(write('comma.json', '{\n  "domain": "hub.example.org"\n  "tls": {}\n}')));
    // The position is what users act on; the words are ours (jsonc-parser's error code), not V8's.
    assert.match(err.message, /is not valid JSON: expected "," or a closing bracket at line 3, column 3/);
  });

  it('JSON that JSON.parse accepts but a careful reader refuses: comments, trailing commas', () => {
    let err = expectConfigError(() => readConfigFile(write('comment.json', '{\n  // the hub\n  "domain": "hub.example.org"\n}')));
    assert.match(err.message, /is not valid JSON: comments are not allowed in JSON at line 2, column 3/);
    err = expectConfigError(() => readConfigFile(write('trailing.json', '{\n  "domain": "hub.example.org",\n}')));
    assert.match(err.message, /is not valid JSON: expected a key in double quotes at line 3, column 1/);
  });

  it('a key written twice in JSON is refused as YAML refuses it, with the key path and both positions', () => {
    // The issue's case: JSON.parse keeps the last "domain", so the second one landed in dist/.
    const twice = '{\n  "domain": "hub.example.org",\n  "domain": "evil.example.com"\n}';
    let err = expectConfigError(() => readConfigFile(write('twice.json', twice)));
    assert.deepEqual(err.issues.map((i) => i.path), ['domain']);
    assert.match(err.message, /\n  domain\n    is written twice, at line 2, column 3 and at line 3, column 3; a JSON reader silently keeps the last one\n    fix: keep one of them/);
    assert.ok(!err.message.includes('evil.example.com'), 'values are not quoted');
    // The same text as YAML (JSON is YAML) is refused by js-yaml: both readers now agree.
    assert.match(expectConfigError(() => readConfigFile(write('twice.yaml', twice))).message, /is not valid YAML: duplicated mapping key at line 3/);
    // Nested, inside a list, and several at once.
    const cfg = baseConfig() as Mutable;
    const text = JSON.stringify({ ...cfg, profiles: [{ name: 'x', image: { name: 'quay.io/jupyter/base-notebook', tag: '2024-05-27' } }] }, null, 2)
      .replace('"clientId": "abc123",', '"clientId": "abc123",\n    "clientId": "pasted-secret-value",')
      .replace('"name": "x",', '"name": "x",\n      "name": "y",');
    err = expectConfigError(() => readConfigFile(write('nested.json', text)));
    assert.deepEqual(err.issues.map((i) => i.path), ['auth0.clientId', 'profiles[0].name']);
    assert.match(err.message, /auth0\.clientId\n    is written twice, at line \d+, column 5 and at line \d+, column 5/);
    assert.ok(!err.message.includes('pasted-secret-value'));
    // Equal keys in different objects are fine.
    assert.doesNotThrow(() => parseConfig(readConfigFile(write('fine.json', JSON.stringify(baseConfig()))), 'fine.json'));
  });

  it('JSON nested thousands of levels deep: a config error, not a crash', () => {
    const err = expectConfigError(() => readConfigFile(write('deep.json', `${'['.repeat(200_000)}${']'.repeat(200_000)}`)));
    assert.match(err.message, /is not valid JSON: nested too deeply/);
  });

  it('an empty file, a directory, a missing file', () => {
    assert.match(expectConfigError(() => readConfigFile(write('empty.yaml', '# nothing yet\n'))).message, /holds no settings/);
    assert.match(expectConfigError(() => readConfigFile(dir)).message, /HUB_CONFIG = .*\n    is not a file/);
    assert.match(expectConfigError(() => readConfigFile(path.join(dir, 'nope.yaml'))).message, /HUB_CONFIG = .*nope\.yaml"\n    cannot be read/);
  });

  it('a JSON file with a byte-order mark reads like any other', () => {
    const file = write('bom.json', `\uFEFF${JSON.stringify(baseConfig())}`);
    assert.doesNotThrow(() => parseConfig(readConfigFile(file), 'bom.json'));
  });
});

describe('the synth command with a bad config', () => {
  const dir = path.join(work, 'cli');
  fs.mkdirSync(dir, { recursive: true });
  const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig(), 'good.yaml') });
  const dist = path.join(dir, 'dist');
  let before_: Map<string, string>;

  before(() => {
    synthesize({ env });
    before_ = snapshot(dist);
    assert.ok(before_.size > 0, 'the good config produced a dist/');
  });

  const cases: { name: string; file: () => string; stderr: RegExp[]; never?: string[] }[] = [
    {
      name: 'malformed YAML',
      file: () => { const f = path.join(dir, 'malformed.yaml'); fs.writeFileSync(f, 'domain: hub.example.org\ntls:\n  mode: none\n bad: [\n'); return f; },
      stderr: [/malformed\.yaml/, /\(file\)/, /is not valid YAML: .*line \d+, column \d+/],
    },
    {
      name: 'HUB_CONFIG pointing at a missing file',
      file: () => path.join(dir, 'does-not-exist.yaml'),
      stderr: [/HUB_CONFIG = ".*does-not-exist\.yaml"/, /cannot be read/, /fix: point HUB_CONFIG/],
    },
    {
      name: 'a JSON config with a bad value and a pasted secret',
      file: () => writeConfig(dir, { ...baseConfig(), auth0: { ...baseConfig().auth0, domain: 'https://team.eu.auth0.com/', clientSecret: 'hunter2' } }, 'bad.json'),
      stderr: [/bad\.json \(2 problems\)/, /auth0\.domain = "https:\/\/team\.eu\.auth0\.com\/"/, /auth0\.clientSecret = \(hidden/],
      never: ['hunter2'],
    },
    {
      name: 'malformed JSON with a secret in it',
      file: () => { const f = path.join(dir, 'malformed.json'); fs.writeFileSync(f, '{\n  "domain": "hub.example.org",\n  "auth0": {"clientSecret": hunter2}\n}\n'); return f; },
      stderr: [/malformed\.json/, /\(file\)/, /is not valid JSON: .*line 3, column \d+/],
      never: ['hunter2'],
    },
    {
      name: 'a JSON config with a key written twice (the second domain would have won)',
      file: () => { const f = path.join(dir, 'twice.json'); fs.writeFileSync(f, JSON.stringify(baseConfig(), null, 2).replace('"domain": "hub.example.org",', '"domain": "hub.example.org",\n  "domain": "evil.example.com",')); return f; },
      stderr: [/twice\.json \(1 problem\)/, /\n  domain\n    is written twice, at line 2, column 3 and at line 3, column 3/],
      never: ['evil.example.com'],
    },
    {
      name: 'a top-level list',
      file: () => { const f = path.join(dir, 'list.yaml'); fs.writeFileSync(f, '- domain: hub.example.org\n'); return f; },
      stderr: [/\(top level\)/, /not a list/],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: exit 1, the path on stderr, no stack trace, dist/ unchanged`, () => {
      const r = runTs('src/main.ts', [], { ...env, HUB_CONFIG: c.file() });
      assert.equal(r.status, 1, `exit code; stderr:\n${r.stderr}`);
      for (const re of c.stderr) assert.match(r.stderr, re);
      assert.match(r.stderr, /Nothing was written; dist\/ is unchanged\./);
      assert.doesNotMatch(r.stderr, /^\s*at /m, 'no stack trace');
      assert.doesNotMatch(r.stderr, /internal error/);
      for (const s of c.never ?? []) assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s));
      assert.deepEqual(snapshot(dist), before_, 'dist/ byte-for-byte unchanged');
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.dist-')), [], 'no temporary folders left');
    });
  }
});
