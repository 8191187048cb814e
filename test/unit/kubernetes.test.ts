/**
 * deploy/kubernetes is a kustomize base. No cluster runs here, so it is
 * checked offline:
 * - rendered by a small kustomize (resources + commonLabels + images, the
 *   only features the base uses) and, where `kubectl` is installed, compared
 *   with `kubectl kustomize` output;
 * - every object validated against the Kubernetes JSON schemas
 *   (kubernetes-models; it checks types and required fields, not unknown
 *   fields, hence the explicit assertions below);
 * - cross-references: Service selectors, ConfigMaps, volumes, probe ports;
 * - the Sentinel config parsed by tssentinel's own parser, and the two init
 *   scripts run with sh (a fake redis-cli plays the Sentinels), the Redis
 *   config they write loaded by a real redis-server when one is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/index.js';

const ROOT = join(__dirname, '../..');
const BASE = join(ROOT, 'deploy/kubernetes');

type Obj = Record<string, any>;

interface Kustomization {
  resources: string[];
  commonLabels?: Record<string, string>;
  images?: { name: string; newName?: string; newTag?: string }[];
  [k: string]: unknown;
}

const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as Kustomization;

function podSpecs(o: Obj): Obj[] {
  return o.spec?.template?.spec ? [o.spec.template.spec] : [];
}

function containersOf(spec: Obj): Obj[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

function addLabels(target: Obj, key: string, labels: Record<string, string>): void {
  target[key] = { ...(target[key] ?? {}), ...labels };
}

/** What `kubectl kustomize` does with the features this base uses. */
function renderOwn(): Obj[] {
  const known = new Set(['apiVersion', 'kind', 'resources', 'commonLabels', 'images']);
  for (const k of Object.keys(kustomization)) if (!known.has(k)) throw new Error(`renderOwn does not implement ${k}`);
  const objs: Obj[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o));
  const labels = kustomization.commonLabels ?? {};
  for (const o of objs) {
    addLabels(o.metadata, 'labels', labels);
    if (o.kind === 'Service' && o.spec.selector) addLabels(o.spec, 'selector', labels);
    if (o.kind === 'PodDisruptionBudget') addLabels(o.spec.selector, 'matchLabels', labels);
    if (o.kind === 'StatefulSet') {
      addLabels(o.spec.selector, 'matchLabels', labels);
      addLabels(o.spec.template.metadata, 'labels', labels);
      for (const t of o.spec.volumeClaimTemplates ?? []) addLabels(t.metadata, 'labels', labels);
      const aff = o.spec.template.spec.affinity ?? {};
      for (const kind of ['podAffinity', 'podAntiAffinity']) {
        for (const term of aff[kind]?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          addLabels(term.podAffinityTerm.labelSelector, 'matchLabels', labels);
        }
        for (const term of aff[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          addLabels(term.labelSelector, 'matchLabels', labels);
        }
      }
    }
    for (const spec of podSpecs(o)) {
      for (const c of containersOf(spec)) {
        const img = kustomization.images?.find((i) => i.name === String(c.image).split(/[:@]/)[0]);
        if (img) c.image = `${img.newName ?? img.name}:${img.newTag ?? 'latest'}`;
      }
    }
  }
  return objs;
}

const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
const objects = renderOwn();
const byKey = new Map(objects.map((o) => [key(o), o]));
const get = (k: string): Obj => {
  const o = byKey.get(k);
  if (!o) throw new Error(`${k} missing from the kustomize output`);
  return o;
};

/** $KUBECTL if set (empty: do not use one), else kubectl on the PATH. */
function kubectlPath(): string | undefined {
  if (process.env.KUBECTL !== undefined) return process.env.KUBECTL || undefined;
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe('kustomize output', () => {
  it('has the expected objects', () => {
    expect([...byKey.keys()].sort()).toEqual([
      'ConfigMap/redis-config', 'ConfigMap/tssentinel-config',
      'PodDisruptionBudget/redis', 'PodDisruptionBudget/tssentinel',
      'Service/redis-headless', 'Service/tssentinel', 'Service/tssentinel-headless',
      'StatefulSet/redis', 'StatefulSet/tssentinel',
    ]);
  });

  it('equals `kubectl kustomize deploy/kubernetes` when kubectl is installed', (ctx) => {
    const kubectl = kubectlPath();
    if (!kubectl) {
      ctx.skip('kubectl not installed (Debian: kubernetes-client); the own renderer was checked alone');
      return;
    }
    const out = execFileSync(kubectl, ['kustomize', BASE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const theirs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    expect(theirs.map(key).sort()).toEqual([...byKey.keys()].sort());
    for (const o of theirs) {
      if (!isDeepStrictEqual(o, get(key(o)))) expect(o, key(o)).toEqual(get(key(o)));
    }
  });

  it('points the images at tssentinel:latest and redis:7.0 through overridable images: entries', () => {
    const images = objects.flatMap((o) => podSpecs(o).flatMap(containersOf)).map((c) => c.image as string);
    expect(new Set(images)).toEqual(new Set(['tssentinel:latest', 'redis:7.0']));
    expect(kustomization.images?.map((i) => i.name).sort()).toEqual(['redis', 'tssentinel']);
  });
});

describe('Kubernetes schemas (kubernetes-models)', () => {
  it.each(objects.map((o) => [key(o), o] as const))('%s validates', async (_k, o) => {
    const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', o.apiVersion];
    const modPath = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`;
    const mod = (await import(modPath)) as Record<string, new (d: Obj) => { validate(): void }>;
    const Model = mod[o.kind as string]!;
    expect(() => new Model(structuredClone(o)).validate()).not.toThrow();
  });

  it('a schema error is caught (the validator is live)', async () => {
    const { StatefulSet } = await import('kubernetes-models/apps/v1/StatefulSet');
    const broken = structuredClone(get('StatefulSet/tssentinel'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'sentinel';
    expect(() => new StatefulSet(broken).validate()).toThrow(/containerPort/);
  });
});

describe('cross-references', () => {
  const workloads = objects.filter((o) => o.kind === 'StatefulSet');
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('every Service and PDB selects the pods of some workload, every StatefulSet selects its own pods', () => {
    for (const o of objects.filter((x) => x.kind === 'Service' || x.kind === 'PodDisruptionBudget')) {
      const selector = o.kind === 'Service' ? o.spec.selector : o.spec.selector.matchLabels;
      expect(Object.keys(selector).length, key(o)).toBeGreaterThan(0);
      expect(workloads.filter((w) => matches(selector, w.spec.template.metadata.labels)).length, key(o)).toBe(1);
    }
    for (const w of workloads) expect(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels), key(w)).toBe(true);
  });

  it('Service target ports are named container ports of the selected pods', () => {
    for (const svc of objects.filter((x) => x.kind === 'Service')) {
      const w = workloads.find((x) => matches(svc.spec.selector, x.spec.template.metadata.labels))!;
      const names = w.spec.template.spec.containers.flatMap((c: Obj) => (c.ports ?? []).map((p: Obj) => p.name));
      for (const p of svc.spec.ports) expect(names, `${key(svc)} ${p.targetPort}`).toContain(p.targetPort);
    }
  });

  it('StatefulSets use a headless Service that exists and publishes not-ready pods, and start pods in parallel', () => {
    for (const w of workloads) {
      const svc = get(`Service/${w.spec.serviceName}`);
      expect(svc.spec.clusterIP).toBe('None');
      expect(svc.spec.publishNotReadyAddresses).toBe(true);
      expect(matches(svc.spec.selector, w.spec.template.metadata.labels)).toBe(true);
      // OrderedReady would deadlock: a Sentinel is Ready only with its peers up.
      expect(w.spec.podManagementPolicy, key(w)).toBe('Parallel');
      expect(w.spec.replicas).toBe(3);
    }
  });

  it('every mounted volume is declared, every ConfigMap referenced exists, every declared volume is used', () => {
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      const declared = new Set<string>([
        ...spec.volumes.map((v: Obj) => v.name),
        ...(w.spec.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata.name),
      ]);
      const mounted = new Set<string>(containersOf(spec).flatMap((c) => (c.volumeMounts ?? []).map((m: Obj) => m.name)));
      for (const m of mounted) expect(declared, `${key(w)} mounts ${m}`).toContain(m);
      for (const d of declared) expect(mounted, `${key(w)} declares ${d}`).toContain(d);
      for (const v of spec.volumes.filter((x: Obj) => x.configMap)) get(`ConfigMap/${v.configMap.name}`);
    }
  });

  it('probe ports are named ports of the same container', () => {
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        const names = (c.ports ?? []).map((p: Obj) => p.name);
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          expect(probe, `${key(w)}/${c.name}`).toBeDefined();
          if (probe.httpGet) expect(names).toContain(probe.httpGet.port);
        }
      }
    }
  });

  it('pods are non-root, read-only, without capabilities, with resources, spread by hostname', () => {
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of containersOf(spec)) {
        const id = `${key(w)}/${c.name}`;
        expect(c.securityContext, id).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.resources?.requests?.cpu, id).toBeDefined();
        expect(c.resources?.requests?.memory, id).toBeDefined();
        expect(c.resources?.limits?.memory, id).toBeDefined();
      }
      const terms = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution as Obj[];
      expect(terms[0]!.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      expect(matches(terms[0]!.podAffinityTerm.labelSelector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
      expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    }
  });

  it('both workloads have a PodDisruptionBudget with maxUnavailable 1', () => {
    for (const name of ['redis', 'tssentinel']) {
      const pdb = get(`PodDisruptionBudget/${name}`);
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(matches(pdb.spec.selector.matchLabels, get(`StatefulSet/${name}`).spec.template.metadata.labels)).toBe(true);
    }
  });
});

/** The Sentinel config as the initContainer writes it for a pod. */
function sentinelConfigFor(pod: string, ns: string): string {
  return String(get('ConfigMap/tssentinel-config').data['sentinel.conf'])
    .replaceAll('@ANNOUNCE_IP@', `${pod}.tssentinel-headless.${ns}.svc`)
    .replaceAll('@NAMESPACE@', ns);
}

describe('tssentinel pods', () => {
  const sts = get('StatefulSet/tssentinel');
  const main = sts.spec.template.spec.containers.find((c: Obj) => c.name === 'tssentinel');

  it('the Sentinel config parses with tssentinel\'s parser and announces the pod\'s stable name', () => {
    const cfg = parseConfig(sentinelConfigFor('tssentinel-1', 'prod'));
    expect([cfg.resolveHostnames, cfg.announceHostnames]).toEqual([true, true]);
    expect(cfg.announceIp).toBe('tssentinel-1.tssentinel-headless.prod.svc');
    expect(cfg.announcePort).toBe(26379);
    expect(cfg.masters[0]).toMatchObject({ name: 'mymaster', host: 'redis-0.redis-headless.prod.svc', port: 6379, quorum: 2 });
    // A quorum the three Sentinels can reach with one of them down.
    expect(cfg.masters[0]!.quorum).toBeLessThanOrEqual(sts.spec.replicas - 1);
    expect(cfg.metricsBind).not.toMatch(/^127\.|^::1$|^localhost$/);
  });

  it('probes /readyz (readiness) and /healthz (liveness) on the metrics port of that config', () => {
    const cfg = parseConfig(sentinelConfigFor('tssentinel-0', 'default'));
    const portOf = (name: string) => main.ports.find((p: Obj) => p.name === name)?.containerPort;
    expect(main.readinessProbe.httpGet.path).toBe('/readyz');
    expect(main.livenessProbe.httpGet.path).toBe('/healthz');
    expect(portOf(main.readinessProbe.httpGet.port)).toBe(cfg.metricsPort);
    expect(portOf(main.livenessProbe.httpGet.port)).toBe(cfg.metricsPort);
    expect(portOf('sentinel')).toBe(cfg.port);
    expect(cfg.metricsPort).toBe(9121);
  });

  it('carries Prometheus scrape annotations for the metrics port', () => {
    const ann = sts.spec.template.metadata.annotations;
    expect(ann['prometheus.io/scrape']).toBe('true');
    expect(ann['prometheus.io/port']).toBe('9121');
  });

  it('keeps the config on a claimed volume and runs the Sentinel on it directly (not through the compose entrypoint)', () => {
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^WORKDIR \/app$/m);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(main.volumeMounts.find((m: Obj) => m.mountPath === '/data')?.name).toBe('data');
    expect(sts.spec.volumeClaimTemplates.map((t: Obj) => t.metadata.name)).toEqual(['data']);
    expect(main.command).toEqual(['node', '/app/dist/cli.js', '/data/sentinel.conf']);
  });

  describe('the init-config script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tss-k8s-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const init = sts.spec.template.spec.initContainers.find((c: Obj) => c.name === 'init-config');
    const script = String(init.command[2]).replaceAll('/data/', `${dir}/data/`).replaceAll('/config/', `${dir}/config/`);
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config/sentinel.conf'), get('ConfigMap/tssentinel-config').data['sentinel.conf']);
    const run = () => execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, POD_NAME: 'tssentinel-2', POD_NAMESPACE: 'redis' }, encoding: 'utf8' });

    it('writes the filled-in config when absent and mounts what it uses', () => {
      expect(init.command.slice(0, 2)).toEqual(['sh', '-c']);
      expect(init.volumeMounts.map((m: Obj) => m.mountPath).sort()).toEqual(['/config', '/data']);
      expect(run()).toContain('written from the ConfigMap');
      const text = readFileSync(join(dir, 'data/sentinel.conf'), 'utf8');
      expect(text).toBe(sentinelConfigFor('tssentinel-2', 'redis'));
      expect(parseConfig(text).announceIp).toBe('tssentinel-2.tssentinel-headless.redis.svc');
    });

    it('keeps a config the Sentinel already rewrote', () => {
      writeFileSync(join(dir, 'data/sentinel.conf'), 'port 26379\nsentinel myid 0123456789abcdef0123456789abcdef01234567\n');
      expect(run()).toContain('exists: kept');
      expect(readFileSync(join(dir, 'data/sentinel.conf'), 'utf8')).toContain('sentinel myid');
    });
  });
});

describe('redis pods: the init script picks the role from the Sentinels', () => {
  const sts = get('StatefulSet/redis');
  const cm = get('ConfigMap/redis-config');
  const init = sts.spec.template.spec.initContainers.find((c: Obj) => c.name === 'init-role');
  const dir = mkdtempSync(join(tmpdir(), 'tss-k8s-redis-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'init.sh'), cm.data['init.sh']);
  writeFileSync(join(dir, 'redis.conf'), cm.data['redis.conf']);
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'answers'));
  // Fake redis-cli: the reply of Sentinel <host> is the file answers/<host>;
  // no file = nobody listening. Every call is logged.
  writeFileSync(join(dir, 'bin/redis-cli'), `#!/bin/sh
echo "$*" >> "${dir}/calls"
host="$2"
# The first $SILENT_CALLS calls find nobody (Sentinels not started yet).
if [ "$(wc -l < "${dir}/calls")" -le "\${SILENT_CALLS:-0}" ]; then exit 1; fi
if [ -f "${dir}/answers/$host" ]; then cat "${dir}/answers/$host"; exit 0; fi
echo "Could not connect to Redis at $host:26379: Name or service not known" >&2
exit 1
`);
  chmodSync(join(dir, 'bin/redis-cli'), 0o755);

  function role(pod: string, answers: Record<string, string>, env: Record<string, string> = {}): { conf: string; out: string; calls: string[] } {
    rmSync(join(dir, 'answers'), { recursive: true, force: true });
    mkdirSync(join(dir, 'answers'));
    rmSync(join(dir, 'calls'), { force: true });
    for (const [host, reply] of Object.entries(answers)) writeFileSync(join(dir, 'answers', host), reply);
    const out = execFileSync('sh', [join(dir, 'init.sh')], {
      env: {
        PATH: `${dir}/bin:${process.env.PATH}`, POD_NAME: pod, POD_NAMESPACE: 'prod',
        SRC: join(dir, 'redis.conf'), OUT: join(dir, 'out.conf'), SENTINEL_ROUNDS: '1', RETRY_SLEEP: '0', ...env,
      },
      encoding: 'utf8',
    });
    const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
    return { conf: readFileSync(join(dir, 'out.conf'), 'utf8'), out, calls };
  }
  const replicaof = (conf: string) => /^replicaof (.+)$/m.exec(conf)?.[1];

  it('the container runs init.sh from the ConfigMap with the pod name and namespace, and redis-server on what it wrote', () => {
    expect(init.command).toEqual(['sh', '/config/init.sh']);
    const envs = Object.fromEntries(init.env.map((e: Obj) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
    expect(envs).toMatchObject({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', MASTER_NAME: 'mymaster' });
    const mounts = Object.fromEntries(init.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
    expect(mounts).toEqual({ '/config': 'config', '/etc/redis': 'conf' });
    const redis = sts.spec.template.spec.containers[0];
    expect(redis.command).toEqual(['redis-server', '/etc/redis/redis.conf']);
    expect(redis.volumeMounts.find((m: Obj) => m.mountPath === '/etc/redis').name).toBe('conf');
    expect(sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'conf').emptyDir).toBeDefined();
    // The Sentinels monitor the name pod 0 announces.
    expect(parseConfig(sentinelConfigFor('tssentinel-0', 'prod')).masters[0]!.host).toBe('redis-0.redis-headless.prod.svc');
  });

  it('no Sentinel answers (first install): pod 0 is the master, the others replicate from it', () => {
    const p0 = role('redis-0', {});
    expect(replicaof(p0.conf)).toBeUndefined();
    expect(p0.conf).toContain('replica-announce-ip redis-0.redis-headless.prod.svc');
    expect(p0.out).toContain('No Sentinel answered');
    // The Service, then each Sentinel pod by its stable name.
    expect(p0.calls.map((c) => c.split(' ')[1])).toEqual([
      'tssentinel', 'tssentinel-0.tssentinel-headless', 'tssentinel-1.tssentinel-headless', 'tssentinel-2.tssentinel-headless']);
    expect(p0.calls[0]).toBe('-h tssentinel -p 26379 --raw SENTINEL get-master-addr-by-name mymaster');
    const p2 = role('redis-2', {});
    expect(replicaof(p2.conf)).toBe('redis-0.redis-headless.prod.svc 6379');
    expect(p2.conf).toContain('replica-announce-ip redis-2.redis-headless.prod.svc');
    expect(p2.conf.startsWith(cm.data['redis.conf'])).toBe(true);
  });

  it('after a failover, a restarted pod 0 follows the Sentinels instead of starting as master', () => {
    const answers = { tssentinel: 'redis-2.redis-headless.prod.svc\n6379\n' };
    expect(replicaof(role('redis-0', answers).conf)).toBe('redis-2.redis-headless.prod.svc 6379');
    expect(replicaof(role('redis-1', answers).conf)).toBe('redis-2.redis-headless.prod.svc 6379');
    const p2 = role('redis-2', answers);
    expect(replicaof(p2.conf)).toBeUndefined();
    expect(p2.out).toContain('starts as master');
    expect(p2.calls.length).toBe(1);
  });

  it('asks the Sentinel pods one by one when the Service has no ready endpoint or no answer', () => {
    const r = role('redis-0', {
      tssentinel: '\n', // nil reply: that Sentinel does not know the master
      'tssentinel-0.tssentinel-headless': 'ERR No such master with that name\n',
      'tssentinel-1.tssentinel-headless': 'redis-1.redis-headless.prod.svc\n6379\n',
    });
    expect(replicaof(r.conf)).toBe('redis-1.redis-headless.prod.svc 6379');
    expect(r.calls.length).toBe(3);
  });

  it('retries before falling back: Redis pods that start before the Sentinels still follow them', () => {
    const answers = { tssentinel: 'redis-2.redis-headless.prod.svc\n6379\n' };
    const r = role('redis-0', answers, { SENTINEL_ROUNDS: '3', SILENT_CALLS: '8' });
    expect(replicaof(r.conf)).toBe('redis-2.redis-headless.prod.svc 6379');
    expect(r.out).toContain('round 2 of 3');
    expect(r.calls.length).toBe(9); // two silent rounds of four, then the Service answers
    // Defaults: 15 rounds, 2 s apart, in the shipped script.
    expect(cm.data['init.sh']).toContain('SENTINEL_ROUNDS="${SENTINEL_ROUNDS:-15}"');
    expect(cm.data['init.sh']).toContain('RETRY_SLEEP="${RETRY_SLEEP:-2}"');
    const none = role('redis-0', {}, { SENTINEL_ROUNDS: '2' });
    expect(none.calls.length).toBe(8);
    expect(replicaof(none.conf)).toBeUndefined();
  });

  it('a real redis-server loads the config it writes (when redis-server is installed)', async (ctx) => {
    const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    if (found.status !== 0) {
      ctx.skip('redis-server not installed');
      return;
    }
    const conf = role('redis-1', { tssentinel: 'redis-2.redis-headless.prod.svc\n6379\n' }).conf;
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    // `dir` is applied while the file is read: point it at a temp dir first.
    expect(conf).toMatch(/^dir \/data$/m);
    writeFileSync(join(dir, 'real.conf'), conf.replace(/^dir \/data$/m, `dir ${data}`));
    const sock = join(dir, 'redis.sock');
    // Same file, TCP off: a unix socket only.
    const server = spawnSync('sh', ['-c', `redis-server "${dir}/real.conf" --port 0 --unixsocket "${sock}" --daemonize yes --pidfile "${dir}/redis.pid" && sleep 0.3 \
      && redis-cli -s "${sock}" config get replica-announce-ip && redis-cli -s "${sock}" role | head -3; redis-cli -s "${sock}" shutdown nosave >/dev/null 2>&1; \
      if [ -f "${dir}/redis.pid" ]; then kill "$(cat "${dir}/redis.pid")" 2>/dev/null; fi; true`],
    { encoding: 'utf8', timeout: 20_000 });
    expect(server.stdout).toContain('redis-1.redis-headless.prod.svc');
    expect(server.stdout).toMatch(/slave\s+redis-2\.redis-headless\.prod\.svc\s+6379/);
  });
});
