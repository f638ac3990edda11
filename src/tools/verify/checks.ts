/**
 * The checks of `npm run verify`, as pure functions of what was read from the cluster and the
 * hub: each returns checklist lines with a status, what was seen and, for a failure, the likely
 * cause and the fix. Reading (kubectl, DNS, TLS, HTTP) lives in ./probe.ts.
 */
import { ipv4ToInt, parseAddressPool } from '../../config/network';

export type Status = 'pass' | 'warn' | 'fail' | 'info';

export interface CheckLine {
  /** Stable id for scripts (`--json`), e.g. "workload:Deployment/hub". */
  readonly id: string;
  readonly status: Status;
  /** What was checked and what was seen. */
  readonly title: string;
  /** Evidence: reasons, event messages. */
  readonly details?: readonly string[];
  /** What to do about a failure or warning. */
  readonly fix?: string;
}

// --- Kubernetes objects, as much of them as the checks read -------------------------------

export interface KObject {
  readonly kind?: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations?: Record<string, string>; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
}

export interface KEvent {
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly lastTimestamp?: string | null;
  readonly eventTime?: string | null;
  readonly firstTimestamp?: string | null;
  readonly count?: number;
}

/** Events about one object, newest first. */
export function eventsFor(events: readonly KEvent[], kind: string, name: string): KEvent[] {
  const when = (e: KEvent) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
  return events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
    .sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0));
}

function eventLines(events: readonly KEvent[], max = 3): string[] {
  return events.slice(0, max).map((e) => `event ${e.type ?? 'Normal'} ${e.reason ?? '?'}: ${(e.message ?? '').trim()}`);
}

function matchesSelector(labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

interface ContainerStatus {
  readonly name?: string;
  readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string }; readonly terminated?: { readonly reason?: string; readonly exitCode?: number } };
  readonly lastState?: { readonly terminated?: { readonly reason?: string; readonly exitCode?: number } };
}

/** What keeps a pod from running, in the kubelet's and scheduler's words. */
export function podProblems(pod: KObject): string[] {
  const st = (pod.status ?? {}) as {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
  const out: string[] = [];
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason) out.push(`container ${c.name}: ${w.reason}${w.message ? ` (${w.message.trim()})` : ''}`);
    const t = c.state?.terminated ?? c.lastState?.terminated;
    if (!w && t && t.exitCode !== 0) out.push(`container ${c.name}: terminated ${t.reason ?? ''} exit ${t.exitCode}`.replace(/\s+/g, ' '));
  }
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) out.push(`not scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`);
  if (out.length === 0 && st.phase && st.phase !== 'Running' && st.phase !== 'Succeeded') out.push(`phase ${st.phase}`);
  return out;
}

/** A fix for the usual reasons, in the user's terms. */
export function fixForPodProblem(problem: string): string | undefined {
  if (/ImagePullBackOff|ErrImagePull|InvalidImageName/.test(problem)) {
    return 'the node cannot pull the image: check the image name and tag in the config (notebook.image / profiles), the node\'s internet access, and for the team image that `npm run image:build` pushed it to localhost:32000 (`microk8s enable registry`)';
  }
  if (/CrashLoopBackOff/.test(problem)) return 'the container keeps exiting: read its log with `microk8s kubectl logs -n NAMESPACE POD --previous`';
  if (/CreateContainerConfigError/.test(problem)) return 'a Secret or ConfigMap the pod reads is missing: apply all of dist/ (including dist/02-secrets.secret.yaml) again';
  if (/unbound immediate PersistentVolumeClaims|persistentvolumeclaim .* not found|didn't find available persistent volumes/i.test(problem)) {
    return 'a volume claim of the pod is not bound: see the PersistentVolumeClaim line below';
  }
  if (/Insufficient (cpu|memory)/.test(problem)) return 'the node has not enough CPU or memory left for the pod\'s requests: see `npm run plan`';
  return undefined;
}

export interface WorkloadInput {
  readonly workloads: readonly KObject[];
  readonly pods: readonly KObject[];
  readonly pvcs: readonly KObject[];
  readonly events: readonly KEvent[];
  readonly namespace: string;
}

function wantAndReady(w: KObject): { want: number; ready: number } {
  const spec = (w.spec ?? {}) as { replicas?: number };
  const st = (w.status ?? {}) as { availableReplicas?: number; desiredNumberScheduled?: number; numberAvailable?: number; readyReplicas?: number };
  if (w.kind === 'DaemonSet') return { want: st.desiredNumberScheduled ?? 0, ready: st.numberAvailable ?? 0 };
  if (w.kind === 'StatefulSet') return { want: spec.replicas ?? 1, ready: st.readyReplicas ?? 0 };
  return { want: spec.replicas ?? 1, ready: st.availableReplicas ?? 0 };
}

/** Every Deployment, DaemonSet and StatefulSet of the hub available, else why not. */
export function checkWorkloads(i: WorkloadInput): CheckLine[] {
  const out: CheckLine[] = [];
  if (i.workloads.length === 0) {
    return [{
      id: 'workloads', status: 'fail', title: `no Deployments or DaemonSets in namespace ${i.namespace}`,
      fix: 'apply dist/ first: `microk8s kubectl apply -f dist/` (or `npm run deploy`)',
    }];
  }
  for (const w of [...i.workloads].sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`))) {
    const { want, ready } = wantAndReady(w);
    const id = `workload:${w.kind}/${w.metadata.name}`;
    if (want === 0 && w.kind === 'DaemonSet') {
      out.push({ id, status: 'warn', title: `${w.kind} ${w.metadata.name}: scheduled on no node`, fix: 'check node selectors and taints (cluster.nodes, GPU labels)' });
      continue;
    }
    if (want === 0) {
      out.push({ id, status: 'info', title: `${w.kind} ${w.metadata.name}: scaled to 0 replicas` });
      continue;
    }
    if (ready >= want) {
      out.push({ id, status: 'pass', title: `${w.kind} ${w.metadata.name}: ${ready}/${want} available` });
      continue;
    }
    const selector = ((w.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
    const pods = i.pods.filter((p) => matchesSelector(p.metadata.labels, selector));
    const details: string[] = [];
    let fix: string | undefined;
    for (const p of pods) {
      for (const problem of podProblems(p)) {
        details.push(`pod ${p.metadata.name}: ${problem}`);
        fix ??= fixForPodProblem(problem);
      }
      details.push(...eventLines(eventsFor(i.events, 'Pod', p.metadata.name).filter((e) => e.type === 'Warning')).map((l) => `pod ${p.metadata.name}: ${l}`));
    }
    if (pods.length === 0) {
      details.push(...eventLines(eventsFor(i.events, w.kind ?? '', w.metadata.name)));
      if (details.length === 0) details.push('no pods yet');
    }
    out.push({
      id, status: 'fail', title: `${w.kind} ${w.metadata.name}: ${ready}/${want} available`, details,
      fix: fix ?? `look at \`microk8s kubectl describe ${String(w.kind).toLowerCase()} ${w.metadata.name} -n ${i.namespace}\` and its pods' events`,
    });
  }
  for (const c of i.pvcs) {
    const phase = ((c.status ?? {}) as { phase?: string }).phase;
    if (phase === 'Bound') continue;
    const sc = ((c.spec ?? {}) as { storageClassName?: string }).storageClassName ?? '(default)';
    const events = eventsFor(i.events, 'PersistentVolumeClaim', c.metadata.name);
    const waiting = events[0]?.reason === 'WaitForFirstConsumer';
    out.push({
      id: `pvc:${c.metadata.name}`,
      status: waiting ? 'warn' : 'fail',
      title: `PersistentVolumeClaim ${c.metadata.name}: ${phase ?? 'Pending'} (storage class ${sc})`,
      details: eventLines(events),
      fix: waiting
        ? 'it binds when a pod that uses it is scheduled; fine for a stopped user server'
        : `nothing provisions a volume for storage class ${sc}: check \`microk8s kubectl get storageclass ${sc}\` exists and its provisioner runs (hostpath: \`microk8s enable hostpath-storage\`; run \`npm run doctor\`)`,
    });
  }
  return out;
}

// --- MetalLB and the hub's IP ------------------------------------------------------------

export interface LoadBalancerInput {
  readonly service?: KObject;
  readonly events: readonly KEvent[];
  /** IPAddressPools in metallb-system; undefined when the MetalLB CRDs are not installed. */
  readonly pools?: readonly KObject[];
  readonly hubIP: string;
  readonly namespace: string;
}

function poolsContaining(pools: readonly KObject[], ip: string): KObject[] {
  const n = ipv4ToInt(ip)!;
  return pools.filter((p) => (((p.spec ?? {}) as { addresses?: string[] }).addresses ?? []).some((a) => {
    const r = parseAddressPool(a, { maskHostBits: true });
    return r !== undefined && n >= r.first && n <= r.last;
  }));
}

/** The MetalLB pools that share addresses with another pool (MetalLB's webhook refuses the later one). */
export function overlappingPools(pools: readonly KObject[]): string[] {
  const ranges = pools.flatMap((p) => (((p.spec ?? {}) as { addresses?: string[] }).addresses ?? [])
    .map((a) => ({ name: p.metadata.name, r: parseAddressPool(a, { maskHostBits: true }) }))
    .filter((x) => x.r !== undefined));
  const out = new Set<string>();
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (ranges[i].name !== ranges[j].name && ranges[i].r!.first <= ranges[j].r!.last && ranges[j].r!.first <= ranges[i].r!.last) {
        out.add(`${ranges[i].name} and ${ranges[j].name}`);
      }
    }
  }
  return [...out];
}

/** `proxy-public` has exactly the hub IP; if not, MetalLB's own words and the likely cause. */
export function checkLoadBalancer(i: LoadBalancerInput): CheckLine {
  const id = 'loadbalancer:proxy-public';
  if (!i.service) {
    return { id, status: 'fail', title: `Service proxy-public not found in namespace ${i.namespace}`, fix: 'apply dist/ (`microk8s kubectl apply -f dist/` or `npm run deploy`)' };
  }
  const ingress = (((i.service.status ?? {}) as { loadBalancer?: { ingress?: { ip?: string }[] } }).loadBalancer?.ingress ?? [])
    .map((x) => x.ip).filter((x): x is string => !!x);
  if (ingress.length === 1 && ingress[0] === i.hubIP) {
    return { id, status: 'pass', title: `proxy-public has external IP ${i.hubIP}` };
  }
  const events = eventsFor(i.events, 'Service', 'proxy-public');
  const details = eventLines(events);
  if (ingress.length > 0) {
    return {
      id, status: 'fail', title: `proxy-public has external IP ${ingress.join(', ')}, not loadBalancer.hubIP ${i.hubIP}`, details,
      fix: `another pool with auto-assign handed out an address before ours: apply dist/03-metallb.yaml, then recreate the Service's IP (\`microk8s kubectl delete service proxy-public -n ${i.namespace}\` and apply dist/ again)`,
    };
  }
  const causes: string[] = [];
  const ann = i.service.metadata.annotations ?? {};
  const spec = (i.service.spec ?? {}) as { loadBalancerIP?: string; type?: string };
  if (spec.type && spec.type !== 'LoadBalancer') causes.push(`the Service is of type ${spec.type}, not LoadBalancer`);
  if (spec.loadBalancerIP && Object.keys(ann).some((k) => /\/loadBalancerIPs$/.test(k))) {
    causes.push('the Service sets both spec.loadBalancerIP and a loadBalancerIPs annotation, which MetalLB refuses ("service can not have both"): synth dist/ again with this version and apply it');
  }
  if (i.pools === undefined) {
    causes.push('MetalLB is not installed (no IPAddressPool resource type): run `microk8s enable metallb:<a range that does not overlap loadBalancer.addressPool>`');
  } else {
    const holding = poolsContaining(i.pools, i.hubIP);
    if (holding.length === 0) causes.push(`no IPAddressPool in metallb-system contains ${i.hubIP}: apply dist/03-metallb.yaml (it holds the hub's pool)`);
    const overlaps = overlappingPools(i.pools);
    if (overlaps.length > 0) causes.push(`pools overlap (${overlaps.join('; ')}): MetalLB refuses overlapping pools; give the addon's own pool another range`);
  }
  // MetalLB v0.13.3-v0.15.2 controller/service.go: "LoadBalancerFailed" when the requested IP is
  // refused (e.g. "service can not have both ..."), "AllocationFailed" when no pool can give it.
  const refused = events.find((e) => e.reason === 'LoadBalancerFailed');
  if (refused && causes.length === 0) causes.push(`MetalLB refused the requested IP: ${(refused.message ?? '').trim()}`);
  const failed = events.find((e) => e.reason === 'AllocationFailed');
  if (failed && causes.length === 0) causes.push(`MetalLB could not allocate: ${(failed.message ?? '').trim()}`);
  if (causes.length === 0) causes.push('MetalLB has not answered yet: check its controller runs (`microk8s kubectl get pods -n metallb-system`) and the Service\'s events');
  return {
    id, status: 'fail', title: `proxy-public has no external IP (<pending>); expected ${i.hubIP}`, details,
    fix: causes.join('; '),
  };
}

// --- DNS --------------------------------------------------------------------------------

export function checkDns(domain: string, hubIP: string, resolved: readonly string[] | Error): CheckLine {
  const id = 'dns';
  if (resolved instanceof Error) {
    return { id, status: 'warn', title: `${domain} does not resolve from here (${resolved.message})`, fix: `add a DNS A record ${domain} -> ${hubIP} (or check from a machine on the hub's network)` };
  }
  if (resolved.includes(hubIP)) return { id, status: 'pass', title: `${domain} resolves to ${hubIP}` };
  return {
    id, status: 'warn', title: `${domain} resolves to ${resolved.join(', ')}, not the hub IP ${hubIP}`,
    fix: `point the A record of ${domain} at ${hubIP}; if you check from another network (split DNS, NAT), this may be expected`,
  };
}

// --- TLS --------------------------------------------------------------------------------

export interface ServedCertificate {
  readonly subjectCN?: string;
  readonly issuer: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** undefined when the certificate names the domain, else why not. */
  readonly identityError?: string;
  /** undefined when the chain is trusted, else the TLS library's reason. */
  readonly trustError?: string;
  readonly altNames?: string;
}

export function checkCertificate(domain: string, tlsMode: string, cert: ServedCertificate | Error, now: Date): CheckLine {
  const id = 'tls';
  if (cert instanceof Error) {
    return { id, status: 'fail', title: `no TLS answer at https://${domain} (${cert.message})`, fix: 'the proxy (or autohttps) does not serve HTTPS yet: see the workload lines above' };
  }
  const days = Math.floor((cert.validTo.getTime() - now.getTime()) / 86_400_000);
  const who = `issued by ${cert.issuer}, ${days >= 0 ? `${days} days left` : `expired ${-days} days ago`}`;
  if (/TRAEFIK DEFAULT CERT/i.test(cert.subjectCN ?? '') || /TRAEFIK DEFAULT CERT/i.test(cert.issuer)) {
    return {
      id, status: 'fail', title: `https://${domain} serves Traefik's default certificate: Let's Encrypt has not issued one yet`,
      fix: `Let's Encrypt must reach http://${domain}/ on port 80 from the internet: check DNS, port forwarding and \`microk8s kubectl logs -n NAMESPACE deploy/autohttps -c traefik\``,
    };
  }
  if (cert.identityError) {
    return {
      id, status: 'fail', title: `the certificate served at https://${domain} does not cover ${domain} (${cert.identityError})`, details: cert.altNames ? [`names: ${cert.altNames}`] : [],
      fix: tlsMode === 'secret' ? `use a certificate issued for ${domain} in tls.certFile, synth and apply again` : 'check that the hub IP is not shared with another web server',
    };
  }
  if (now.getTime() > cert.validTo.getTime()) {
    return { id, status: 'fail', title: `the certificate at https://${domain} has expired (${who})`, fix: tlsMode === 'secret' ? 'renew it, put the new files in tls.certFile/keyFile, synth and apply' : 'Traefik renews Let\'s Encrypt certificates itself: check the autohttps log' };
  }
  if (now.getTime() < cert.validFrom.getTime()) {
    return { id, status: 'fail', title: `the certificate at https://${domain} is not valid yet (from ${cert.validFrom.toISOString()})`, fix: 'check the clocks of this machine and of the machine that issued it' };
  }
  if (cert.trustError) {
    return { id, status: 'fail', title: `the certificate at https://${domain} is not trusted (${cert.trustError}; ${who})`, fix: 'serve the full chain (leaf first, then intermediates) in tls.certFile, or pass --ca FILE if you use a private CA' };
  }
  if (days < 14) return { id, status: 'warn', title: `certificate for ${domain} ${who}`, fix: 'renew it soon' };
  return { id, status: 'pass', title: `certificate for ${domain} ${who}` };
}

// --- the hub and Auth0 ------------------------------------------------------------------

export interface HttpAnswer {
  readonly status: number;
  readonly location?: string;
}

export function checkHealth(url: string, answer: HttpAnswer | Error): CheckLine {
  const id = 'hub:health';
  if (answer instanceof Error) return { id, status: 'fail', title: `${url} does not answer (${answer.message})`, fix: 'see the workload and TLS lines above' };
  if (answer.status === 200) return { id, status: 'pass', title: `${url} answers 200` };
  return { id, status: 'fail', title: `${url} answers ${answer.status}`, fix: 'the proxy answers but the hub does not: `microk8s kubectl logs -n NAMESPACE deploy/hub`' };
}

export interface LoginExpectation {
  readonly auth0Domain: string;
  readonly clientId: string;
  readonly callbackUrl: string;
}

export function checkLogin(url: string, answer: HttpAnswer | Error, want: LoginExpectation): CheckLine {
  const id = 'hub:oauth_login';
  if (answer instanceof Error) return { id, status: 'fail', title: `${url} does not answer (${answer.message})` };
  if (answer.status < 300 || answer.status >= 400 || !answer.location) {
    return { id, status: 'fail', title: `${url} answers ${answer.status} without a redirect to Auth0`, fix: 'the hub does not use the Auth0 authenticator: apply dist/ again and restart the hub (`microk8s kubectl rollout restart deploy/hub -n NAMESPACE`)' };
  }
  let loc: URL;
  try {
    loc = new URL(answer.location, url);
  } catch {
    return { id, status: 'fail', title: `${url} redirects to an unreadable location` };
  }
  const problems: string[] = [];
  if (loc.host !== want.auth0Domain || loc.pathname !== '/authorize') problems.push(`goes to ${loc.origin}${loc.pathname}, expected https://${want.auth0Domain}/authorize`);
  const clientId = loc.searchParams.get('client_id');
  if (clientId !== want.clientId) problems.push(`client_id is ${JSON.stringify(clientId)}, expected ${JSON.stringify(want.clientId)} (auth0.clientId)`);
  const redirect = loc.searchParams.get('redirect_uri');
  if (redirect !== want.callbackUrl) problems.push(`redirect_uri (callback URL) is ${JSON.stringify(redirect)}, expected ${JSON.stringify(want.callbackUrl)}`);
  if (problems.length === 0) return { id, status: 'pass', title: `login redirects to https://${want.auth0Domain}/authorize with our client_id and callback ${want.callbackUrl}` };
  return {
    id, status: 'fail', title: `login redirect does not match the config`, details: problems,
    fix: 'the running hub has other settings than dist/: apply dist/ again; the hub restarts when its config changes (`microk8s kubectl rollout status deploy/hub -n NAMESPACE`)',
  };
}

/** The settings only the Auth0 dashboard holds: printed for the user to tick off. */
export function auth0Checklist(i: { auth0Domain: string; callbackUrl: string; logoutUrl: string; hubUrl: string }): CheckLine[] {
  return [
    { id: 'auth0:callback', status: 'info', title: `Auth0 application > Settings > Allowed Callback URLs contains ${i.callbackUrl}` },
    { id: 'auth0:logout', status: 'info', title: `Auth0 application > Settings > Allowed Logout URLs contains ${i.logoutUrl}` },
    { id: 'auth0:web-origins', status: 'info', title: `Application type "Regular Web Application", tenant ${i.auth0Domain}` },
    { id: 'auth0:signups', status: 'info', title: 'Authentication > Database > your connection: "Disable Sign Ups" on, unless you want anyone to create an account (only allowlisted, verified emails get in)' },
    { id: 'auth0:verify-email', status: 'info', title: 'Branding/Emails: the "Verification Email" template is enabled, so new users can verify their address' },
  ];
}

export function exitCode(lines: readonly CheckLine[]): number {
  return lines.some((l) => l.status === 'fail') ? 1 : 0;
}

const MARK: Record<Status, string> = { pass: '[ok]  ', warn: '[warn]', fail: '[FAIL]', info: '[ ]   ' };

export function formatChecklist(lines: readonly CheckLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    out.push(`${MARK[l.status]} ${l.title}`);
    for (const d of l.details ?? []) out.push(`         ${d}`);
    if (l.fix && (l.status === 'fail' || l.status === 'warn')) out.push(`         fix: ${l.fix}`);
  }
  const n = (s: Status) => lines.filter((l) => l.status === s).length;
  out.push('');
  out.push(`${n('pass')} passed, ${n('warn')} warnings, ${n('fail')} failed${n('fail') === 0 ? ': the hub works' : ''}`);
  return `${out.join('\n')}\n`;
}
