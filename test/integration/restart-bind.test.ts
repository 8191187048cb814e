/**
 * A Sentinel stopped the way a supervisor that may have SIGSTOPped it does
 * (SIGTERM, then SIGCONT) and started again on the same port as soon as a
 * connect there is refused; and where start-up failures are written.
 *
 * Redis serverLog()s its start-up failures (bind, TLS, ACL, an unwritable
 * config): into the `logfile` when there is one, nothing on the terminal.
 *
 * TS_SENTINEL_BIN=real runs every "ts" process as a real redis-sentinel: the
 * self-check of this harness.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import {
  TS_SIDE_IS_REAL,
  runTsSentinelToExit,
  startRealSentinel,
  startTsSentinel,
  stopAll,
  tempDir,
  type ProcHandle,
  type SentinelOptions,
} from '../support/procs.js';
import { RawClient } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

const RESTARTS = 20;
/** Both address families, loopback only: every listener must be gone before the port looks free. */
const CONF = 'bind 127.0.0.1 -::1\nsentinel monitor mymaster 127.0.0.1 6 2\n';

afterAll(async () => {
  await stopAll();
});

/** True once a connect to 127.0.0.1:port is refused. */
async function refused(port: number): Promise<boolean> {
  try {
    const c = await RawClient.connect(port, { timeoutMs: 1_000 });
    await c.close();
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  }
}

type Starter = (confText: string, options: SentinelOptions) => Promise<ProcHandle>;

describe('restart on the same port right after SIGTERM + SIGCONT', () => {
  it.each<[string, Starter]>([
    ['tssentinel', startTsSentinel],
    ['redis-sentinel', startRealSentinel],
  ])('%s binds at every start', async (_name, start) => {
    const port = await freePort();
    let current = await start(CONF, { port });
    for (let i = 0; i < RESTARTS; i++) {
      const old = current;
      process.kill(old.pid, 'SIGTERM');
      process.kill(old.pid, 'SIGCONT');
      await waitFor(() => refused(port), { intervalMs: 1, timeoutMs: 10_000, what: `port ${port} to refuse connects` });
      // A start that cannot bind throws here, with the log's tail.
      current = await start(CONF, { port });
      await old.waitExit();
    }
    await current.stop();
  }, 120_000);
});

describe('start-up failures go to the logfile when there is one', () => {
  function confWithLog(lines: string[]): { confPath: string; logPath: string } {
    const dir = tempDir('logfile');
    fs.chmodSync(dir, 0o755);
    const logPath = path.join(dir, 'sentinel.log');
    const confPath = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(confPath, [...lines, `logfile ${logPath}`, ''].join('\n'));
    return { confPath, logPath };
  }

  it('a port in use: Redis\'s two lines in the logfile, nothing on the terminal', async () => {
    const port = await freePort();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const { confPath, logPath } = confWithLog(['bind 127.0.0.1', `port ${port}`]);
      const result = await runTsSentinelToExit([confPath]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toBe('');
      const log = fs.readFileSync(logPath, 'utf8');
      expect(log).toMatch(new RegExp(`# Warning: Could not create server TCP listening socket 127\\.0\\.0\\.1:${port}: bind: Address already in use\\n`));
      expect(log).toMatch(new RegExp(`# Failed listening on port ${port} \\(TCP\\), aborting\\.\\n`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('a config file it cannot write: the reason in the logfile', async () => {
    const { confPath, logPath } = confWithLog(['bind 127.0.0.1', `port ${await freePort()}`]);
    const dir = path.dirname(confPath);
    // The log is created by the Sentinel, run as nobody: let it create it, but not write the config.
    fs.chmodSync(dir, 0o777);
    fs.chmodSync(confPath, 0o444);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await runTsSentinelToExit([confPath], asNobody);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toBe('');
    expect(fs.readFileSync(logPath, 'utf8')).toMatch(/# Sentinel config file .*sentinel\.conf is not writable: .*Exiting\.\.\.\n/);
  });

  it('without a logfile, the lines go to stdout as log lines', async () => {
    const port = await freePort();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const dir = tempDir('nolog');
      const confPath = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(confPath, `bind 127.0.0.1\nport ${port}\n`);
      const result = await runTsSentinelToExit([confPath]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(new RegExp(`^\\d+:X .* # Failed listening on port ${port} \\(TCP\\), aborting\\.$`, 'm'));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

describe.skipIf(TS_SIDE_IS_REAL)('a port of the kernel\'s ephemeral range in use', () => {
  it('says that an outgoing connection may hold it (tssentinel only)', async () => {
    // bind(0) takes a port from the ephemeral range.
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const dir = tempDir('ephemeral');
      const confPath = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(confPath, `bind 127.0.0.1\nport ${port}\n`);
      const result = await runTsSentinelToExit([confPath]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain(`Port ${port} is in the kernel's ephemeral port range`);
      expect(result.output).toContain(`Failed listening on port ${port} (TCP), aborting.`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
