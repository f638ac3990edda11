/**
 * `npm run verify [-- --json] [--address HOST[:PORT]] [--ca FILE] [--timeout SECONDS]`: after
 * apply, tells whether the hub really works, read from the live cluster (kubectl, read-only) and
 * from outside (DNS, TLS, HTTP), with a fix for each failure. Exit 0 when nothing failed
 * (warnings allowed), 1 when something failed, 2 on a usage error.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load';
import type { HubConfig } from '../config/schema';
import { logoutReturnUrl, oauthCallbackUrl } from '../hub/auth0-authenticator';
import { hubUrl } from '../hub/values';
import { clusterCommands } from '../util/command';
import { runCli, UserError } from '../util/errors';
import {
  auth0Checklist, checkCertificate, checkDns, checkHealth, checkLoadBalancer, checkLogin, CheckLine, checkWorkloads, exitCode, formatChecklist,
} from './verify/checks';
import { Endpoint, get, KubectlRunner, kubectlRunner, readCluster, Resolver, resolveName, servedCertificate, systemResolver } from './verify/probe';

export interface VerifyOptions {
  readonly config: HubConfig;
  readonly kubectl: KubectlRunner;
  /** Where the hub is reached. @default loadBalancer.hubIP, port 443 (80 with tls.mode none) */
  readonly address?: { readonly host: string; readonly port?: number };
  /** Extra CA certificates (PEM) to trust. */
  readonly ca?: string;
  /** @default the system resolver */
  readonly resolve?: Resolver;
  /** @default now */
  readonly now?: Date;
  /** Per network call. @default 10 s */
  readonly timeoutMs?: number;
}

/** Runs every check; returns the checklist in order. */
export async function verifyHub(o: VerifyOptions): Promise<CheckLine[]> {
  const c = o.config;
  const ns = c.namespace;
  const secure = c.tls.mode !== 'none';
  const cluster = await readCluster(o.kubectl, ns);
  const lines: CheckLine[] = [];
  lines.push(...checkWorkloads({ ...cluster, namespace: ns }));
  lines.push(checkLoadBalancer({ service: cluster.service, events: cluster.events, pools: cluster.pools, hubIP: c.loadBalancer.hubIP, namespace: ns }));
  lines.push(checkDns(c.domain, c.loadBalancer.hubIP, await resolveName(o.resolve ?? systemResolver, c.domain)));

  const endpoint: Endpoint = {
    host: o.address?.host ?? c.loadBalancer.hubIP,
    port: o.address?.port ?? (secure ? 443 : 80),
    servername: c.domain,
    ca: o.ca,
    timeoutMs: o.timeoutMs ?? 10_000,
  };
  const base = hubUrl(c);
  if (secure) lines.push(checkCertificate(c.domain, c.tls.mode, await servedCertificate(endpoint), o.now ?? new Date()));
  lines.push(checkHealth(`${base}/hub/health`, await get(endpoint, '/hub/health', secure)));
  const callbackUrl = oauthCallbackUrl(base);
  lines.push(checkLogin(`${base}/hub/oauth_login`, await get(endpoint, '/hub/oauth_login', secure), {
    auth0Domain: c.auth0.domain, clientId: c.auth0.clientId, callbackUrl,
  }));
  lines.push(...auth0Checklist({ auth0Domain: c.auth0.domain, callbackUrl, logoutUrl: logoutReturnUrl(base), hubUrl: base }));
  return lines.map((l) => (l.fix ? { ...l, fix: l.fix.replace(/NAMESPACE/g, ns) } : l));
}

/** `HOST`, `HOST:PORT` or `[v6]:PORT`. */
export function parseAddress(text: string): { host: string; port?: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new UserError(`--address ${JSON.stringify(text)}: expected HOST or HOST:PORT, e.g. 192.168.1.240 or 127.0.0.1:8443`, 2);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new UserError(`--address ${JSON.stringify(text)}: port must be 1-65535`, 2);
  return { host: m[1] ?? m[2], port };
}

const USAGE = 'Usage: npm run verify -- [--json] [--address HOST[:PORT]] [--ca FILE] [--timeout SECONDS]';

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, address: { type: 'string' }, ca: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean' } },
      strict: true, allowPositionals: false,
    }));
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!(timeout > 0 && timeout <= 600)) throw new UserError(`--timeout ${JSON.stringify(values.timeout)}: give seconds between 1 and 600\n${USAGE}`, 2);
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = fs.readFileSync(values.ca, 'utf8');
    } catch (err) {
      throw new UserError(`--ca ${values.ca}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 2);
    }
  }
  const { config } = loadConfig(env);
  const lines = await verifyHub({
    config,
    // The same cluster as doctor and deploy: KUBECTL, else MICROK8S's kubectl, else `microk8s kubectl`.
    kubectl: kubectlRunner(clusterCommands(env).kubectl, timeout * 1000),
    address: values.address === undefined ? undefined : parseAddress(values.address),
    ca,
    timeoutMs: timeout * 1000,
  });
  if (values.json) out(`${JSON.stringify({ ok: exitCode(lines) === 0, checks: lines }, null, 2)}\n`);
  else out(formatChecklist(lines));
  return exitCode(lines);
}

if (require.main === module) {
  runCli(() => main(process.argv.slice(2), process.env, (s) => process.stdout.write(s)));
}
