/**
 * No Docker engine runs here, so the deployment files are checked as files:
 * the compose file parses, every file it and the Dockerfile reference exists,
 * published ports are unique and loopback-only, services have healthchecks,
 * and the Sentinel config the containers get is one tssentinel accepts.
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
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);

describe('docker-compose.yml', () => {
  it('has a master, two replicas and three Sentinels', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['master', 'replica1', 'replica2', 'sentinel1', 'sentinel2', 'sentinel3']);
  });

  it('publishes unique ports on 127.0.0.1 only', () => {
    const published = services.flatMap(([, s]) => s.ports ?? []);
    expect(published.length).toBe(6);
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    const hostPorts = published.map((p) => p.split(':')[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('gives every service a healthcheck and only depends on services that exist', () => {
    for (const [name, s] of services) {
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(0);
      for (const dep of Object.keys(s.depends_on ?? {})) expect(compose.services[dep], `${name} -> ${dep}`).toBeDefined();
    }
  });

  it('replicas follow the master and announce their service names', () => {
    for (const name of ['replica1', 'replica2']) {
      const cmd = compose.services[name]!.command!.join(' ');
      expect(cmd).toContain('--replicaof master 6379');
      expect(cmd).toContain(`--replica-announce-ip ${name}`);
    }
  });

  it('builds Sentinels from the Dockerfile with a named volume each and an announced name', () => {
    for (const name of ['sentinel1', 'sentinel2', 'sentinel3']) {
      const s = compose.services[name]!;
      expect(existsSync(join(ROOT, s.build!.context, s.build!.dockerfile))).toBe(true);
      expect(s.environment?.ANNOUNCE_IP).toBe(name);
      expect(compose.services[s.environment!.MASTER_HOST!]).toBeDefined();
      const volume = s.volumes![0]!.split(':')[0]!;
      expect(compose.volumes).toHaveProperty(volume);
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
    for (const marker of ['@ANNOUNCE_IP@', '@MASTER_HOST@', '@QUORUM@']) {
      expect(template).toContain(marker);
      expect(entrypoint).toContain(marker);
    }
    const filled = template.replaceAll('@ANNOUNCE_IP@', 'sentinel1').replaceAll('@MASTER_HOST@', 'master').replaceAll('@QUORUM@', '2');
    const cfg = parseConfig(filled);
    expect(cfg.masters[0]).toMatchObject({ name: 'mymaster', host: 'master', port: 6379, quorum: 2 });
    expect([cfg.resolveHostnames, cfg.announceHostnames, cfg.announceIp]).toEqual([true, true, 'sentinel1']);
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
