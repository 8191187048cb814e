import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestCerts } from './certs.js';
import { freePort } from './ports.js';
import { REDIS_SENTINEL_BIN, REDIS_SERVER_BIN, TS_CLI_PATH, tempDir } from './procs.js';
import { parseInfo, textOf } from './resp.js';
import { tlsCall, type TlsClientOptions } from './tlsClient.js';
import { sleep } from './wait.js';

/**
 * Processes that listen on a TLS port only (`port 0`), which procs.ts cannot
 * start: it waits for a plain PING. Same rules: 127.0.0.1, ports below 32768
 * test-bound first and retried, every process killed by its PID.
 */
export type TlsProcKind = 'redis' | 'ts-sentinel' | 'real-sentinel';

export interface TlsProc {
  readonly kind: TlsProcKind;
  readonly pid: number;
  /** The TLS port. */
  readonly port: number;
  readonly dir: string;
  readonly logPath: string;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

const START_TIMEOUT_MS = 15_000;
const PORT_TRIES = 4;
const live = new Set<ChildProcess>();

/** Client options with the test client certificate. */
export function clientTls(certs: TestCerts): TlsClientOptions {
  return { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey };
}

/** The tls-* lines every process of the test shares. */
export function tlsConfLines(certs: TestCerts, tlsPort: number): string[] {
  return [
    'bind 127.0.0.1',
    'port 0',
    `tls-port ${tlsPort}`,
    'tls-replication yes',
    `tls-cert-file ${certs.serverCert}`,
    `tls-key-file ${certs.serverKey}`,
    `tls-ca-cert-file ${certs.caCert}`,
  ];
}

/** Starts one process with the config `confLines(tlsPort)` and waits for TLS PING from this very process. */
export async function startTlsProc(kind: TlsProcKind, certs: TestCerts, confLines: (tlsPort: number) => string[]): Promise<TlsProc> {
  const dir = tempDir(`tls-${kind}`);
  const logPath = path.join(dir, 'out.log');
  const confPath = path.join(dir, kind === 'redis' ? 'redis.conf' : 'sentinel.conf');
  let lastError: unknown;
  for (let i = 0; i < PORT_TRIES; i++) {
    const port = await freePort();
    fs.writeFileSync(confPath, `${confLines(port).join('\n')}\n`);
    const child = spawnKind(kind, confPath, dir, logPath);
    const proc = handle(kind, child, port, dir, logPath);
    try {
      await waitReady(proc, child, certs);
      return proc;
    } catch (err) {
      lastError = err;
      await proc.stop();
      if (!/in use/i.test(proc.logTail())) break;
    }
  }
  throw lastError;
}

function spawnKind(kind: TlsProcKind, confPath: string, dir: string, logPath: string): ChildProcess {
  const [command, args] = kind === 'redis' ? [REDIS_SERVER_BIN, [confPath]]
    : kind === 'real-sentinel' ? [REDIS_SENTINEL_BIN, [confPath]]
      : [process.execPath, [TS_CLI_PATH, confPath]];
  const logFd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}

function handle(kind: TlsProcKind, child: ChildProcess, port: number, dir: string, logPath: string): TlsProc {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    kind,
    pid: child.pid ?? -1,
    port,
    dir,
    logPath,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    logTail(lines = 30) {
      try {
        return fs.readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
  };
}

async function waitReady(proc: TlsProc, child: ChildProcess, certs: TestCerts): Promise<void> {
  const deadlineMs = Date.now() + START_TIMEOUT_MS;
  let last = 'no attempt';
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${proc.kind} exited during start\n${proc.logTail()}`);
    }
    try {
      const info = await tlsCall(proc.port, { ...clientTls(certs), timeoutMs: 1_000 }, 'INFO', 'server');
      const server = parseInfo(textOf(info)).find((s) => s.name === 'Server');
      const pid = server?.fields.find(([k]) => k === 'process_id')?.[1];
      if (Number(pid) === proc.pid) return;
      last = `port ${proc.port} is served by pid ${String(pid)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new Error(`${proc.kind} did not answer on TLS port ${proc.port}: ${last}\n${proc.logTail()}`);
}

/** Kills by PID whatever this module started and is still running; call in afterAll. */
export async function stopTlsProcs(): Promise<void> {
  const children = [...live];
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  })));
}

process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});
