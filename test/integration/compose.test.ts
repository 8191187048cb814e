/**
 * docker-compose.yml's HA behaviour without a container engine: the compose
 * file is parsed, its environment interpolated (ports moved to free loopback
 * ports, everything else as the file gives it), and every service is run as a
 * plain process through the same entry point script the container runs
 * (docker/entrypoint.sh for the Sentinels, docker/redis-entrypoint.sh for the
 * Redis servers), in the file's start order (Sentinels first).
 * Then "after a failover, down && up": a failover (SENTINEL FAILOVER),
 * every process stopped, the environment changed (applied on the next start),
 * everything started again through the entry points: the Sentinels keep their
 * state, and the old master comes back as a replica of the promoted one.
 * What this does not cover: images, volumes, users, restart policies and host
 * networking themselves (no Docker engine here).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../support/ports.js';
import { REPO_ROOT } from '../support/procs.js';
import { waitFor } from '../support/wait.js';

interface Service { environment?: Record<string, string | number>; depends_on?: Record<string, unknown> }
const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** Compose's interpolation: $$ -> $, ${VAR}, ${VAR:-default} (the forms the file uses). */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::-([^}]*))?\}/g, (m, name: string | undefined, def: string | undefined) => {
    if (m === '$$') return '$';
    const v = vars[name!];
    return v !== undefined && v !== '' ? v : def ?? '';
  });
}

const REDIS = ['master', 'replica1', 'replica2'] as const;
const SENTINELS = ['sentinel1', 'sentinel2', 'sentinel3'] as const;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-compose-'));
const children = new Set<ChildProcess>();

function envOf(service: string, vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services[service]!.environment ?? {})) env[k] = interpolate(String(v), vars);
  return env;
}

function cli(port: number | string, ...args: string[]): string {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 3000 }).stdout.trim();
}
function fields(port: number | string, ...args: string[]): Record<string, string> {
  const lines = cli(port, '--raw', ...args).split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]!] = lines[i + 1]!;
  return out;
}
const info = (port: number | string) => Object.fromEntries(cli(port, 'info', 'replication').split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':') as [string, string]));

/** Runs one service's entry point as a process, as its container would. */
async function up(service: string, vars: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; log: string; port: string }> {
  const env = { ...envOf(service, vars), ...extraEnv };
  const isSentinel = service.startsWith('sentinel');
  const data = path.join(root, service);
  fs.mkdirSync(data, { recursive: true });
  const log = path.join(data, 'out.log');
  fs.appendFileSync(log, `=== start ${new Date().toISOString()}\n`);
  const fd = fs.openSync(log, 'a');
  const script = path.join(REPO_ROOT, 'docker', isSentinel ? 'entrypoint.sh' : 'redis-entrypoint.sh');
  const child = spawn('sh', [script], {
    cwd: data, // the image's WORKDIR /data
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...env,
      ...(isSentinel ? {
        TSS_DATA_DIR: data,
        TSS_APP_DIR: REPO_ROOT,
        TSS_SENTINEL_CMD: `${process.execPath} --max-semi-space-size=1 ${path.join(REPO_ROOT, 'dist/cli.js')}`,
      } : {}),
    },
  });
  fs.closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  const port = isSentinel ? env['SENTINEL_PORT']! : env['REDIS_PORT']!;
  await waitFor(() => cli(port, 'ping') === 'PONG' || undefined, { timeoutMs: 20_000, what: `${service} on ${port}` });
  return { child, log, port };
}

async function down(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) { process.kill(child.pid!, 'SIGKILL'); await exited; }
}

afterAll(async () => {
  await Promise.all([...children].map(down));
  if (process.env['TSS_KEEP_TMP'] !== '1') fs.rmSync(root, { recursive: true, force: true });
});

describe('docker-compose.yml services run through their entry points', () => {
  it('start, fail over, go down and come up again following the Sentinels', async () => {
    const vars: Record<string, string> = {};
    for (const n of [1, 2, 3]) {
      vars[`TSS_REDIS${n}_PORT`] = String(await freePort());
      vars[`TSS_SENTINEL${n}_PORT`] = String(await freePort());
    }
    // Start order from depends_on: every Redis waits for the Sentinels.
    for (const r of REDIS) expect(Object.keys(compose.services[r]!.depends_on ?? {}).sort()).toEqual([...SENTINELS]);

    const procs = new Map<string, Awaited<ReturnType<typeof up>>>();
    for (const s of [...SENTINELS, ...REDIS]) procs.set(s, await up(s, vars));
    const port = (s: string) => procs.get(s)!.port;
    const s1 = port('sentinel1');

    // First start: the Sentinels answer with the file's master; the Redis follow it.
    expect(fs.readFileSync(procs.get('master')!.log, 'utf8')).toMatch(new RegExp(`starting 127\\.0\\.0\\.1:${port('master')} as the master`));
    expect(fs.readFileSync(procs.get('replica1')!.log, 'utf8')).toMatch(new RegExp(`as a replica of 127\\.0\\.0\\.1:${port('master')}`));
    await waitFor(() => {
      const m = fields(s1, 'sentinel', 'master', 'mymaster');
      return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2' || undefined;
    }, { timeoutMs: 20_000, what: 'sentinel1 sees 2 replicas and 2 other Sentinels' });
    for (const r of ['replica1', 'replica2']) {
      await waitFor(() => info(port(r))['master_link_status'] === 'up' || undefined, { what: `${r} in sync` });
    }
    // Replicas announce host-reachable addresses, so the Sentinels report those.
    const replicas = cli(s1, '--raw', 'sentinel', 'replicas', 'mymaster');
    for (const r of ['replica1', 'replica2']) expect(replicas).toContain(`127.0.0.1:${port(r)}`);
    cli(port('master'), 'set', 'k', 'before-failover');
    expect(cli(port('master'), 'wait', '2', '5000')).toBe('2'); // on both replicas before the failover

    // Failover.
    const myids = SENTINELS.map((s) => cli(port(s), 'sentinel', 'myid'));
    // tssentinel only promotes a replica it has seen synced (INFO without
    // master_link_down_since_seconds:-1): right after the first sync that
    // takes up to one INFO period (1 s for such replicas).
    await waitFor(() => cli(s1, 'sentinel', 'failover', 'mymaster') === 'OK' || undefined,
      { timeoutMs: 15_000, what: 'SENTINEL FAILOVER accepted' });
    const promoted = await waitFor(() => {
      const views = SENTINELS.map((s) => cli(port(s), '--raw', 'sentinel', 'get-master-addr-by-name', 'mymaster').split('\n')[1]);
      return views.every((v) => v && v !== port('master') && v === views[0]) ? views[0] : undefined;
    }, { timeoutMs: 20_000, what: 'all Sentinels report the promoted replica' });
    const newMaster = REDIS.find((r) => port(r) === promoted)!;
    expect(['replica1', 'replica2']).toContain(newMaster);
    for (const s of SENTINELS) {
      await waitFor(() => new RegExp(`^sentinel monitor mymaster 127\\.0\\.0\\.1 ${promoted} 2$`, 'm').test(fs.readFileSync(path.join(root, s, 'sentinel.conf'), 'utf8')) || undefined, { what: `${s} persisted the new master` });
    }

    // down: every process stopped.
    await Promise.all([...procs.values()].map((p) => down(p.child)));

    // up, with a changed variable: applied on this start too.
    const vars2 = { ...vars, TSS_DOWN_AFTER_MS: '4000' };
    for (const s of SENTINELS) procs.set(s, await up(s, vars2));
    SENTINELS.forEach((s, i) => {
      const conf = fs.readFileSync(path.join(root, s, 'sentinel.conf'), 'utf8');
      expect(conf).toContain(`sentinel myid ${myids[i]}`);
      expect(conf).toMatch(new RegExp(`^sentinel monitor mymaster 127\\.0\\.0\\.1 ${promoted} 2$`, 'm'));
      expect(conf).toMatch(/^sentinel down-after-milliseconds mymaster 4000$/m);
      expect(conf.match(/^sentinel down-after-milliseconds /gm)).toHaveLength(1);
      expect(conf).toMatch(/^sentinel known-sentinel mymaster /m);
      expect(fields(port(s), 'sentinel', 'master', 'mymaster')['down-after-milliseconds']).toBe('4000');
    });
    for (const r of REDIS) procs.set(r, await up(r, vars2));

    // The old master asked the Sentinels and came back as a replica of the promoted one.
    const oldLog = fs.readFileSync(procs.get('master')!.log, 'utf8').split('=== start').at(-1)!;
    expect(oldLog).toMatch(new RegExp(`starting 127\\.0\\.0\\.1:${port('master')} as a replica of 127\\.0\\.0\\.1:${promoted}`));
    expect(fs.readFileSync(procs.get(newMaster)!.log, 'utf8').split('=== start').at(-1)).toMatch(/as the master/);
    await waitFor(() => {
      const i = info(port('master'));
      return i['role'] === 'slave' && i['master_port'] === promoted && i['master_link_status'] === 'up' || undefined;
    }, { timeoutMs: 20_000, what: 'old master replicating from the promoted replica' });
    expect(info(promoted)['role']).toBe('master');
    expect(cli(port('master'), 'get', 'k'), REDIS.map((r) => `${r}:\n${fs.readFileSync(procs.get(r)!.log, 'utf8')}`).join('\n')).toBe('before-failover');
    await waitFor(() => {
      const m = fields(s1, 'sentinel', 'master', 'mymaster');
      return m['port'] === promoted && m['num-slaves'] === '2' && m['flags'] === 'master' || undefined;
    }, { timeoutMs: 20_000, what: 'sentinel1: promoted master, 2 replicas, no sdown' });
  }, 90_000);

  it('a Redis falls back to the role in the file when no Sentinel answers', async () => {
    const vars: Record<string, string> = {};
    for (const n of [1, 2, 3]) {
      vars[`TSS_REDIS${n}_PORT`] = String(await freePort());
      vars[`TSS_SENTINEL${n}_PORT`] = String(await freePort()); // nothing listens there
    }
    const p = await up('replica2', vars, { TSS_SENTINEL_WAIT: '1' });
    expect(fs.readFileSync(p.log, 'utf8')).toMatch(/no Sentinel answered: using the role from the compose file/);
    const i = info(p.port);
    expect([i['role'], i['master_port']]).toEqual(['slave', vars['TSS_REDIS1_PORT']]);
    await down(p.child);
  }, 30_000);
});
