/**
 * conf/scripts/vip-reconfig.sh as tssentinel's client-reconfig-script moves a
 * virtual IP between two "hosts" during a real failover; conf/scripts/notify.sh
 * as a notification-script.
 *
 * The hosts are network namespaces made (and removed) by this file:
 * tss-h1-<id> and tss-h2-<id>, each with an interface `vip0` that is one end
 * of a veth pair whose other end is on a bridge in tss-lan-<id>. Addresses
 * come from 10.213.<n>.0/24 and exist only inside these namespaces: nothing
 * is created in the root namespace, the host's interfaces and routes are not
 * touched. Redis and tssentinel run on 127.0.0.1 in the root namespace as
 * usual; the script's host mapping says that the Redis on the master's port
 * lives on h1 (`ip netns exec tss-h1-<id>`) and the replica's on h2.
 *
 * Needs root and `ip netns`; skipped with the reason otherwise.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startRedis, startTsSentinel, stopAll, tempDir, type ProcHandle } from '../support/procs.js';
import { RawClient, parseInfo, textOf, toPlain, toRecord, type RespValue } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const VIP_SCRIPT = path.join(REPO_ROOT, 'conf', 'scripts', 'vip-reconfig.sh');
const NOTIFY_SCRIPT = path.join(REPO_ROOT, 'conf', 'scripts', 'notify.sh');
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const SWITCH_TIMEOUT_MS = 25_000;
const IFACE = 'vip0';

const ID = crypto.randomBytes(3).toString('hex');
const NS = { h1: `tss-h1-${ID}`, h2: `tss-h2-${ID}`, lan: `tss-lan-${ID}` } as const;
const SUBNET = `10.213.${crypto.randomInt(0, 256)}`;
const VIP = `${SUBNET}.100/24`;
const VIP_ADDR = `${SUBNET}.100`;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the namespace tests cannot run here, or undefined when they can. */
function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (ip netns needs CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  if (!commandExists('ip')) return 'the `ip` command (iproute2) is not installed';
  const probe = `tss-probe-${ID}`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `\`ip netns add\` is not permitted here: ${errorText(err)}`;
  }
  try {
    ip('-n', probe, 'link', 'add', 'tssbr', 'type', 'bridge');
    ip('-n', probe, 'link', 'add', 'tssa', 'type', 'veth', 'peer', 'name', 'tssb');
    return undefined;
  } catch (err) {
    return `no bridge or veth inside a network namespace: ${errorText(err)}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // Reported by the next ip netns add, if anything.
    }
  }
}

function errorText(err: unknown): string {
  const e = err as { stderr?: string | Buffer; message?: string };
  const stderr = e.stderr ? String(e.stderr).trim() : '';
  return stderr || (e.message ?? String(err));
}

const SKIP_REASON = netnsUnavailable();
if (SKIP_REASON) console.warn(`vip.test.ts: skipping the network-namespace tests: ${SKIP_REASON}`);

function deleteNamespaces(): void {
  for (const ns of Object.values(NS)) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // Not there.
    }
  }
}

/** h1, h2 with `vip0` each, bridged in lan; the VIP starts on h1. Returns the MACs of vip0. */
function makeNamespaces(): { h1: string; h2: string } {
  deleteNamespaces(); // leftovers of a run that died with the same names
  process.once('exit', deleteNamespaces); // safety net when afterAll does not run
  for (const ns of Object.values(NS)) ip('netns', 'add', ns);
  ip('-n', NS.lan, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', NS.lan, 'link', 'set', 'br0', 'up');
  ip('-n', NS.lan, 'link', 'add', 'p1', 'type', 'veth', 'peer', 'name', IFACE, 'netns', NS.h1);
  ip('-n', NS.lan, 'link', 'add', 'p2', 'type', 'veth', 'peer', 'name', IFACE, 'netns', NS.h2);
  for (const port of ['p1', 'p2']) {
    ip('-n', NS.lan, 'link', 'set', port, 'master', 'br0');
    ip('-n', NS.lan, 'link', 'set', port, 'up');
  }
  for (const ns of Object.values(NS)) ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', NS.h1, 'link', 'set', IFACE, 'up');
  ip('-n', NS.h2, 'link', 'set', IFACE, 'up');
  ip('-n', NS.h1, 'addr', 'add', `${SUBNET}.11/24`, 'dev', IFACE);
  ip('-n', NS.h2, 'addr', 'add', `${SUBNET}.12/24`, 'dev', IFACE);
  ip('-n', NS.lan, 'addr', 'add', `${SUBNET}.1/24`, 'dev', 'br0');
  ip('-n', NS.h1, 'addr', 'add', VIP, 'dev', IFACE);
  return { h1: mac(NS.h1), h2: mac(NS.h2) };
}

function mac(ns: string): string {
  const m = /link\/ether ([0-9a-f:]{17})/.exec(ip('-n', ns, '-o', 'link', 'show', IFACE));
  if (!m) throw new Error(`no MAC on ${IFACE} in ${ns}`);
  return m[1]!;
}

/** How many times the VIP is on vip0 of that namespace. */
function vipCount(ns: string): number {
  return ip('-n', ns, '-o', 'addr', 'show', 'dev', IFACE)
    .split('\n')
    .filter((line) => line.includes(` inet ${VIP} `)).length;
}

/** The lan's ARP entry for the VIP: which MAC the LAN sends VIP traffic to. */
function lanNeighMac(): string | undefined {
  return /lladdr ([0-9a-f:]{17})/.exec(ip('-n', NS.lan, 'neigh', 'show', VIP_ADDR, 'dev', 'br0'))?.[1];
}

interface ScriptRun {
  code: number | null;
  output: string;
}

/** Runs a script to its exit with extra environment, output captured. */
function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

async function call(port: number, ...args: string[]): Promise<RespValue> {
  const client = await RawClient.connect(port, { timeoutMs: 2_000 });
  try {
    return await client.call(...args);
  } finally {
    await client.close();
  }
}

async function replication(port: number): Promise<Record<string, string>> {
  const section = parseInfo(textOf(await call(port, 'INFO', 'replication'))).find((s) => s.name === 'Replication');
  return Object.fromEntries(section?.fields ?? []);
}

afterAll(async () => {
  await stopAll();
  if (!SKIP_REASON) deleteNamespaces();
});

describe.skipIf(SKIP_REASON !== undefined)(
  `vip-reconfig.sh moves a VIP between network namespaces${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`,
  () => {
    const hasArping = commandExists('arping');
    let macs: { h1: string; h2: string };
    let master: ProcHandle;
    let replica: ProcHandle;
    let sentinel: ProcHandle;
    let dir: string;
    let confPath: string;
    let logPath: string;
    /** Environment for direct runs: the same config as the sentinel's script. */
    let env: NodeJS.ProcessEnv;
    let oldPort = 0;
    let newPort = 0;

    beforeAll(async () => {
      macs = makeNamespaces();
      master = await startRedis();
      replica = await startRedis({ replicaOf: { host: HOST, port: master.port } });
      dir = tempDir('vip');
      confPath = path.join(dir, 'vip-reconfig.conf');
      logPath = path.join(dir, 'vip-reconfig.log');
      fs.writeFileSync(
        confPath,
        [
          '# written by vip.test.ts',
          `vip ${VIP}`,
          `interface ${IFACE}`,
          `host ${HOST}:${master.port} ip netns exec ${NS.h1}`,
          `host ${HOST}:${replica.port} ip netns exec ${NS.h2}`,
          `log-file ${logPath}`,
          `lock-file ${path.join(dir, 'vip.lock')}`,
          'command-timeout 5',
          '',
        ].join('\n'),
      );
      env = { VIP_CONF: confPath };
      sentinel = await startTsSentinel(
        [
          `sentinel monitor mymaster ${HOST} ${master.port} 1`,
          `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
          `sentinel client-reconfig-script mymaster ${VIP_SCRIPT}`,
          '',
        ].join('\n'),
        { env },
      );
      await waitFor(async () => toRecord(await call(sentinel.port, 'SENTINEL', 'MASTER', 'mymaster'))['num-slaves'] === '1', {
        timeoutMs: 15_000,
        what: 'the sentinel to discover the replica',
      });
      await waitFor(async () => (await replication(replica.port))['master_link_status'] === 'up', {
        what: 'the replica in sync',
      });
    });

    it(
      'after a failover the VIP is on the new master host (h2) and gone from the old one (h1)',
      async () => {
        expect(vipCount(NS.h1)).toBe(1);
        expect(vipCount(NS.h2)).toBe(0);
        // The LAN knows the VIP at h1's MAC; the gratuitous ARP must repoint it.
        ip('-n', NS.lan, 'neigh', 'replace', VIP_ADDR, 'lladdr', macs.h1, 'dev', 'br0', 'nud', 'stale');

        oldPort = master.port;
        await master.kill9();
        newPort = Number(
          await waitFor(
            async () => {
              const addr = toPlain(await call(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
              return Array.isArray(addr) && addr[1] !== String(oldPort) ? addr[1] : false;
            },
            { timeoutMs: SWITCH_TIMEOUT_MS, what: 'the sentinel to report a new master' },
          ),
        );
        expect(newPort).toBe(replica.port);

        await waitFor(() => vipCount(NS.h2) === 1, {
          timeoutMs: 15_000,
          what: `the VIP on ${IFACE} in ${NS.h2} (script log: ${fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : 'none'})`,
        });
        expect(vipCount(NS.h1)).toBe(0);

        const log = await waitFor(() => {
          const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
          return /\bdone \(/.test(text) ? text : undefined;
        }, { what: 'the done line in the script log' });
        const from = `${HOST}:${oldPort}`;
        const to = `${HOST}:${newPort}`;
        expect(log).toContain(`mymaster: leader/start ${from} -> ${to}, VIP ${VIP}: removed ${VIP} from ${IFACE}`);
        expect(log).toContain(`added ${VIP} on ${IFACE} via 'ip netns exec ${NS.h2}'`);
        expect(log).toMatch(/done \(old: removed, new: added, garp: (sent|skipped)\), exit 0/);
        if (hasArping) {
          expect(log).toContain('garp: sent');
          expect(lanNeighMac(), 'the LAN ARP entry for the VIP after the gratuitous ARP').toBe(macs.h2);
        }

        // Exit 0: nothing left to retry.
        await waitFor(async () => {
          const pending = toPlain(await call(sentinel.port, 'SENTINEL', 'PENDING-SCRIPTS'));
          return Array.isArray(pending) && pending.length === 0;
        }, { what: 'no pending script (the script exited 0)' });
      },
      45_000,
    );

    it('is idempotent: a second run with the same arguments changes nothing', async () => {
      expect(newPort).not.toBe(0);
      const run = await runScript(VIP_SCRIPT, ['mymaster', 'leader', 'start', HOST, String(oldPort), HOST, String(newPort)], env);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('done (old: absent, new: already present');
      expect(vipCount(NS.h1)).toBe(0);
      expect(vipCount(NS.h2)).toBe(1);
    });

    it('ignores observer and start calls unless configured, and a stale move to a replica', async () => {
      const ignored = await runScript(VIP_SCRIPT, ['mymaster', 'observer', 'start', HOST, String(newPort), HOST, String(oldPort)], env);
      expect(ignored.code, ignored.output).toBe(0);
      expect(ignored.output).toContain('nothing to do');
      expect(vipCount(NS.h2)).toBe(1);

      // A late retry of an older failover "to" a Redis that is now a replica.
      const other = await startRedis({ replicaOf: { host: HOST, port: newPort } });
      const stale = await runScript(VIP_SCRIPT, ['mymaster', 'leader', 'start', HOST, String(newPort), HOST, String(other.port)], {
        ...env,
        VIP_HOSTS: `${HOST}:${other.port} ip netns exec ${NS.h1}`,
      });
      expect(stale.code, stale.output).toBe(0);
      expect(stale.output).toContain('not master');
      expect(vipCount(NS.h1)).toBe(0);
      expect(vipCount(NS.h2)).toBe(1);
      await other.stop();
    });

    it('exits 1 when the new host cannot be reached, 2 on bad arguments or configuration', async () => {
      const missing = `ip netns exec tss-missing-${ID}`;
      const transient = await runScript(VIP_SCRIPT, ['mymaster', 'leader', 'start', HOST, '1', HOST, '2'], {
        ...env,
        VIP_HOSTS: `${HOST}:1 ${missing}; ${HOST}:2 ${missing}`,
        VIP_CHECK_NEW_MASTER: 'no',
      });
      expect(transient.code, transient.output).toBe(1);
      expect(vipCount(NS.h2)).toBe(1);

      for (const args of [
        ['mymaster', 'leader', 'start'],
        ['mymaster', 'boss', 'start', HOST, '1', HOST, '2'],
        ['mymaster', 'leader', 'later', HOST, '1', HOST, '2'],
        ['mymaster', 'leader', 'start', HOST, 'x', HOST, '2'],
      ]) {
        const run = await runScript(VIP_SCRIPT, args, env);
        expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(2);
      }
      const unmapped = await runScript(VIP_SCRIPT, ['mymaster', 'leader', 'start', HOST, '1', '192.0.2.1', '6379'], {
        ...env,
        VIP_CHECK_NEW_MASTER: 'no',
      });
      expect(unmapped.code, unmapped.output).toBe(2);
      expect(unmapped.output).toContain('no host mapping for the new master');
      const noVip = await runScript(VIP_SCRIPT, ['mymaster', 'leader', 'start', HOST, '1', HOST, '2'], {
        VIP_CONF: path.join(dir, 'does-not-exist.conf'),
      });
      expect(noVip.code, noVip.output).toBe(2);
      expect(vipCount(NS.h2)).toBe(1);
    });
  },
);

describe('notify.sh', () => {
  let server: http.Server | undefined;

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('appends a timestamped line per event; exits 2 on bad arguments', async () => {
    const dir = tempDir('notify');
    const log = path.join(dir, 'notify.log');
    const env = { NOTIFY_LOG_FILE: log, NOTIFY_WEBHOOK_URL: '', NOTIFY_CONF: path.join(dir, 'none.conf') };
    const a = await runScript(NOTIFY_SCRIPT, ['+sdown', `master mymaster ${HOST} 6379`], env);
    expect(a.code, a.output).toBe(0);
    const b = await runScript(NOTIFY_SCRIPT, ['+switch-master', `mymaster ${HOST} 6379 ${HOST} 6380`], env);
    expect(b.code, b.output).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\+sdown master mymaster ${HOST} 6379$`));
    expect(lines[1]).toMatch(/Z \+switch-master mymaster 127\.0\.0\.1 6379 127\.0\.0\.1 6380$/);
    expect((await runScript(NOTIFY_SCRIPT, ['+sdown'], env)).code).toBe(2);
  });

  it.skipIf(!commandExists('curl'))('POSTs the event as JSON to a configured webhook (loopback only)', async () => {
    const bodies: string[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, HOST, resolve));
    const port = (server.address() as { port: number }).port;
    const dir = tempDir('notify-hook');
    const confPath = path.join(dir, 'notify.conf');
    fs.writeFileSync(confPath, `log-file ${path.join(dir, 'notify.log')}\nwebhook-url http://${HOST}:${port}/hook\n`);
    const run = await runScript(NOTIFY_SCRIPT, ['+odown', 'master mymaster 127.0.0.1 6379 #quorum 1/1'], {
      NOTIFY_CONF: confPath,
      NOTIFY_LOG_FILE: '',
      NOTIFY_WEBHOOK_URL: '',
    });
    expect(run.code, run.output).toBe(0);
    expect(bodies).toHaveLength(1);
    const event = JSON.parse(bodies[0]!) as Record<string, string>;
    expect(event).toMatchObject({ event: '+odown', description: 'master mymaster 127.0.0.1 6379 #quorum 1/1' });
    expect(event['time']).toMatch(/Z$/);
  });
});
