/**
 * No Docker engine runs here, so the deployment files are checked as files:
 * the compose file parses, every file it and the Dockerfile reference exists,
 * every service runs non-root with a restart policy and a healthcheck on its
 * own port, every variable is documented, and the Sentinel config the
 * containers get is one tssentinel accepts. (test/integration/compose.test.ts
 * runs the services' entry points as processes.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';

const ROOT = join(__dirname, '../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  user?: string;
  restart?: string;
  network_mode?: string;
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);
const REDIS = ['master', 'replica1', 'replica2'];
const SENTINELS = ['sentinel1', 'sentinel2', 'sentinel3'];
/** ${VAR:-default} with the defaults, as compose interpolates with no variables set. */
const defaults = (v: string | number) => String(v).replace(/\$\{(\w+):-([^}]*)\}/g, '$2');

describe('docker-compose.yml', () => {
  it('has three Redis and three Sentinels', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...REDIS, ...SENTINELS]);
  });

  it('runs every service non-root, restarted unless stopped, with a healthcheck, on the host network', () => {
    for (const [name, s] of services) {
      expect(s.user, name).toBeDefined();
      expect(s.user, name).not.toMatch(/^(root|0)(:|$)/);
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(0);
      expect(s.network_mode, name).toBe('host');
      expect(s.ports, name).toBeUndefined(); // host networking: each listens on its own host port
      for (const dep of Object.keys(s.depends_on ?? {})) expect(compose.services[dep], `${name} -> ${dep}`).toBeDefined();
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) expect(existsSync(join(ROOT, src)), src).toBe(true);
        else expect(compose.volumes, name).toHaveProperty(src);
      }
    }
  });

  it('gives each Redis and Sentinel its own port and one announced address (default 127.0.0.1)', () => {
    const ports = [
      ...REDIS.map((r) => defaults(compose.services[r]!.environment!['REDIS_PORT']!)),
      ...SENTINELS.map((s) => defaults(compose.services[s]!.environment!['SENTINEL_PORT']!)),
    ];
    expect(ports).toEqual(['6379', '6380', '6381', '26379', '26380', '26381']);
    for (const [name, s] of services) expect(defaults(s.environment!['TSS_ANNOUNCE_IP']!), name).toBe('127.0.0.1');
    for (const r of REDIS) {
      const env = compose.services[r]!.environment!;
      expect(defaults(env['TSS_SENTINELS']!).split(/\s+/)).toEqual(['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381']);
      expect(defaults(env['TSS_INITIAL_MASTER']!)).toBe('127.0.0.1:6379');
      expect(compose.services[r]!.entrypoint!.join(' ')).toContain('tss-redis-entrypoint');
      expect(compose.services[r]!.volumes).toContain('./docker/redis-entrypoint.sh:/usr/local/bin/tss-redis-entrypoint:ro');
      expect(Object.keys(compose.services[r]!.depends_on!).sort()).toEqual(SENTINELS);
    }
  });

  it('builds the Sentinels from the Dockerfile, each with its own volume, monitoring the first Redis', () => {
    for (const name of SENTINELS) {
      const s = compose.services[name]!;
      expect(existsSync(join(ROOT, s.build!.context, s.build!.dockerfile))).toBe(true);
      expect(`${defaults(s.environment!['TSS_MASTER_HOST']!)}:${defaults(s.environment!['TSS_MASTER_PORT']!)}`).toBe('127.0.0.1:6379');
    }
    expect(new Set(SENTINELS.map((n) => compose.services[n]!.volumes![0]!.split(':')[0])).size).toBe(3);
  });

  it('documents every variable it reads, in its header and in the README', () => {
    const used = new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(10);
    const header = composeText.slice(0, composeText.indexOf('\nname:'));
    const readme = read('README.md');
    for (const v of used) {
      expect(header, v).toContain(v);
      expect(readme, v).toContain(v);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('copies only files that exist', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) expect(existsSync(join(ROOT, src)), src).toBe(true);
  });

  it('uses a Node version the package accepts and exposes the Sentinel port', () => {
    expect(dockerfile).toMatch(/FROM node:20/);
    expect(dockerfile).toMatch(/EXPOSE 26379/);
  });
});

describe('container Sentinel config', () => {
  it('is accepted by the config parser once the entrypoint fills it in', () => {
    const entrypoint = read('docker/entrypoint.sh');
    const template = read('conf/docker/sentinel.conf');
    const markers = [...new Set([...template.matchAll(/@(\w+)@/g)].map((m) => m[0]))];
    expect(markers.length).toBeGreaterThan(8);
    for (const marker of markers) expect(entrypoint, marker).toContain(`s|${marker}|`);
    const values: Record<string, string> = {
      '@PORT@': '26379', '@BIND@': '127.0.0.1', '@ANNOUNCE_IP@': '127.0.0.1', '@MASTER_NAME@': 'mymaster',
      '@MASTER_HOST@': '127.0.0.1', '@MASTER_PORT@': '6379', '@QUORUM@': '2', '@DOWN_AFTER_MS@': '5000',
      '@FAILOVER_TIMEOUT_MS@': '60000', '@PARALLEL_SYNCS@': '1',
    };
    const filled = template.replace(/@\w+@/g, (m) => values[m]!);
    const cfg = parseConfig(filled);
    expect(cfg.masters[0]).toMatchObject({ name: 'mymaster', host: '127.0.0.1', port: 6379, quorum: 2 });
    expect(cfg.announceIp).toBe('127.0.0.1');
  });

  it('the bundled example config parses too', () => {
    expect(parseConfig(read('conf/sentinel.conf')).masters.map((m) => m.name)).toEqual(['mymaster']);
  });
});

describe('systemd unit', () => {
  it('starts the built CLI on a config in a directory it may write', () => {
    const unit = read('conf/systemd/tssentinel.service');
    const exec = /^ExecStart=(\S+) --max-semi-space-size=1 (\S+) (\S+)$/m.exec(unit);
    expect(exec?.[2]).toMatch(/dist\/cli\.js$/);
    const confDir = exec![3]!.replace(/\/[^/]+$/, '');
    expect(unit).toMatch(new RegExp(`^ReadWritePaths=.*${confDir}`, 'm'));
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });
});
