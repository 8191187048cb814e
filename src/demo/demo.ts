import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DemoStoppingError, ProcessGroup } from './child.js';
import { errorText } from './client.js';
import { seconds } from './render.js';
import { Screen } from './screen.js';
import { StatusPoller, type Snapshot } from './status.js';
import { Timeline } from './timeline.js';
import {
  REPLICA_COUNT,
  SENTINEL_COUNT,
  restartNode,
  startTopology,
  type DemoNode,
  type Topology,
} from './topology.js';
import {
  agreement,
  buildResult,
  exitCodeOf,
  failoverTarget,
  isDiscovered,
  roleOf,
  type FailoverWatch,
  type KillRecord,
  type StopReason,
} from './verdict.js';

/**
 * `tssentinel demo`: a live local topology (1 master, 2 replicas, 3
 * tssentinels), a status view, an event timeline, keys to break things,
 * and a final `DEMO RESULT {...}` line. Every child is stopped by its PID on
 * every way out: normal end, q / Ctrl-C, SIGINT / SIGTERM / SIGHUP, errors,
 * and (SIGKILL, synchronously) a crash of the demo itself.
 */

export interface DemoOptions {
  /** kill -9 the master this long after everything is up. */
  readonly killAfterS?: number;
  /** Quit this long after start. */
  readonly exitAfterS?: number;
  /** Quit FAILOVER_GRACE_MS after a failover completed. */
  readonly exitAfterFailover: boolean;
  /** Keep the temp dir (configs and logs). */
  readonly keep: boolean;
  readonly redisServerBin: string;
  readonly refreshMs: number;
}

export interface DemoIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

/** After a failover completes, how long --exit-after-failover keeps watching (the +slave / reconf events). */
const FAILOVER_GRACE_MS = 3_000;
const DISCOVERY_TIMEOUT_MS = 30_000;
/** --exit-after-failover without --exit-after: give up this long after the kill. */
const FAILOVER_WAIT_MAX_MS = 60_000;
const IDLE_POLL_MS = 50;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** dist/cli.js next to this file's dist/demo/. */
export const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url));

export function runDemo(opts: DemoOptions, io: DemoIo): Promise<number> {
  return new Demo(opts, io).run();
}

class Demo {
  private readonly startedAtMs = Date.now();
  private readonly group = new ProcessGroup();
  private readonly timeline = new Timeline();
  private readonly screen: Screen;
  private readonly dir: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly names = new Map<string, string>();
  private readonly killed: DemoNode[] = [];
  private topology: Topology | undefined;
  private poller: StatusPoller | undefined;
  private snapshot: Snapshot | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private polling = false;
  private restarting = false;
  private phase = 'starting';
  private kill: KillRecord | undefined;
  private watch: FailoverWatch | undefined;
  private finishing = false;
  private resultPrinted = false;
  private resolveDone: (code: number) => void = () => undefined;

  constructor(
    private readonly opts: DemoOptions,
    private readonly io: DemoIo,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tssentinel-demo-'));
    this.screen = new Screen(io.stdout, io.stdout.isTTY === true, io.stdin.isTTY === true);
    // Nothing is printed after the DEMO RESULT line, which scripts take as the last.
    this.timeline.onEvent((e) => {
      if (!this.resultPrinted) this.screen.event(e);
    });
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.resolveDone = resolve;
    });
    this.installHooks();
    this.startKeys();
    this.screen.begin();
    if (this.opts.exitAfterS !== undefined) this.after(this.opts.exitAfterS * 1000, () => this.finish({ kind: 'exit-after' }));
    this.startup().catch((err: unknown) => {
      if (!(err instanceof DemoStoppingError)) this.finish({ kind: 'error', message: errorText(err) });
    });
    return done;
  }

  // -------------------------------------------------------------------------
  // Start-up

  private async startup(): Promise<void> {
    this.setPhase(`starting 3 redis-server and 3 tssentinel processes in ${this.dir}`);
    const topology = await startTopology({
      dir: this.dir,
      group: this.group,
      redisServerBin: this.opts.redisServerBin,
      cliPath: CLI_PATH,
    });
    if (this.finishing) return;
    this.topology = topology;
    for (const n of [...topology.redis, ...topology.sentinels]) this.names.set(n.addr, n.name);
    const who = [...topology.redis, ...topology.sentinels].map((n) => `${n.name}=${n.addr}(pid ${n.proc.pid ?? '-'})`);
    this.timeline.note('started', who.join(' '));
    this.poller = new StatusPoller(topology);
    this.refresh = setInterval(() => void this.tick(), this.opts.refreshMs);
    await this.timeline.subscribe(topology.sentinels);
    this.setPhase('waiting for the Sentinels to discover the replicas and each other');
    await this.waitDiscovery();
    if (this.finishing) return;
    this.armKill();
  }

  private async waitDiscovery(): Promise<void> {
    const deadlineMs = Date.now() + DISCOVERY_TIMEOUT_MS;
    while (!this.finishing && Date.now() < deadlineMs) {
      if (this.snapshot && isDiscovered(this.snapshot, REPLICA_COUNT, SENTINEL_COUNT)) {
        this.timeline.note('ready', `all Sentinels see ${REPLICA_COUNT} replicas and ${SENTINEL_COUNT - 1} other Sentinels, replicas in sync`);
        return;
      }
      await sleep(IDLE_POLL_MS);
    }
    if (!this.finishing) this.timeline.note('warning', `discovery not complete after ${seconds(DISCOVERY_TIMEOUT_MS)}; going on`);
  }

  private armKill(): void {
    const killAfterS = this.opts.killAfterS;
    if (killAfterS === undefined) {
      this.setPhase('running');
      return;
    }
    this.setPhase(`running; the master will be killed (kill -9) in ${killAfterS} s`);
    this.after(killAfterS * 1000, () => this.killMaster());
  }

  // -------------------------------------------------------------------------
  // The loop

  private async tick(): Promise<void> {
    if (this.polling || !this.poller || this.finishing) return;
    this.polling = true;
    try {
      this.snapshot = await this.poller.poll();
    } finally {
      this.polling = false;
    }
    if (this.finishing) return;
    this.checkFailover();
    this.draw();
  }

  private draw(): void {
    const view = { snapshot: this.snapshot, nowMs: Date.now(), startedAtMs: this.startedAtMs, phase: this.phase, dir: this.dir, names: this.names };
    this.screen.frame(view, this.timeline.events);
  }

  private checkFailover(): void {
    const watch = this.watch;
    if (!watch || watch.doneAtMs !== undefined || !this.snapshot) return;
    const to = failoverTarget(this.snapshot, watch.fromAddr);
    if (to === undefined) return;
    const doneAtMs = Date.now();
    this.watch = { ...watch, doneAtMs, toAddr: to };
    const took = seconds(doneAtMs - watch.atMs);
    this.timeline.note('failover-complete', `${this.label(watch.fromAddr)} -> ${this.label(to)} in ${took}; all ${SENTINEL_COUNT} Sentinels agree and its ROLE is master`);
    if (this.opts.exitAfterFailover) {
      this.setPhase(`failover complete (${took}); quitting in ${seconds(FAILOVER_GRACE_MS)}`);
      this.after(FAILOVER_GRACE_MS, () => this.finish({ kind: 'failover-done' }));
    } else {
      this.setPhase(`failover complete (${took}); [r] restarts the old master, it should come back as a replica`);
    }
  }

  // -------------------------------------------------------------------------
  // Actions

  /** The master by the Sentinels' agreement, else by ROLE; undefined before start-up is done. */
  private currentMaster(): DemoNode | undefined {
    const t = this.topology;
    const s = this.snapshot;
    if (!t) return undefined;
    if (!s) return t.redis[0];
    const agreed = agreement(s);
    const byAgreement = t.redis.find((n) => n.addr === agreed.addr && n.proc.running);
    return byAgreement ?? t.redis.find((n) => n.proc.running && roleOf(s, n.addr) === 'master');
  }

  private killMaster(): void {
    if (this.finishing) return;
    const target = this.currentMaster();
    if (!target) {
      this.timeline.note('kill', this.topology ? 'no running master to kill' : 'still starting');
      return;
    }
    const pid = target.proc.pid;
    target.proc.signal('SIGKILL');
    const atMs = Date.now();
    this.kill = { node: target.name, addr: target.addr, pid, atMs };
    this.killed.push(target);
    this.watch = { trigger: 'kill', fromAddr: target.addr, atMs };
    this.timeline.note('kill', `kill -9 ${target.name} ${target.addr} (pid ${pid ?? '-'})`);
    this.setPhase(`master ${target.name} killed; waiting for the Sentinels to fail over`);
    if (this.opts.exitAfterFailover && this.opts.exitAfterS === undefined) {
      this.after(FAILOVER_WAIT_MAX_MS, () => {
        if (this.watch?.doneAtMs === undefined) this.finish({ kind: 'failover-timeout' });
      });
    }
  }

  private async restartKilled(): Promise<void> {
    const node = [...this.killed].reverse().find((n) => !n.proc.running);
    if (!node) {
      this.timeline.note('restart', 'nothing to restart: kill the master first ([k])');
      return;
    }
    if (this.restarting || this.finishing) return;
    this.restarting = true;
    this.timeline.note('restart', `restarting ${node.name} ${node.addr}`);
    try {
      const pid = await restartNode(node);
      this.timeline.note('restarted', `${node.name} ${node.addr} is back (pid ${pid}); the Sentinels should make it a replica`);
    } catch (err) {
      if (!(err instanceof DemoStoppingError) && !this.finishing) this.timeline.note('restart-failed', firstLine(errorText(err)));
    } finally {
      this.restarting = false;
    }
  }

  /** [f] SENTINEL FAILOVER, [c] SENTINEL FAILOVER ... COORDINATED (the master hands over itself). */
  private async sentinelFailover(coordinated = false): Promise<void> {
    const poller = this.poller;
    const from = this.currentMaster();
    if (!poller || !from || this.finishing) {
      this.timeline.note('failover', 'still starting');
      return;
    }
    const command = `SENTINEL FAILOVER mymaster${coordinated ? ' COORDINATED' : ''}`;
    this.timeline.note('failover', command);
    const atMs = Date.now();
    const reply = await poller.failover(coordinated);
    this.timeline.note('failover-reply', reply);
    if (reply.endsWith(': OK')) {
      this.watch = { trigger: 'sentinel-failover', fromAddr: from.addr, atMs };
      this.setPhase(`${command} sent; waiting for a new master (was ${from.name})`);
    }
  }

  // -------------------------------------------------------------------------
  // Keys, signals, timers

  private startKeys(): void {
    const stdin = this.io.stdin;
    if (!stdin.isTTY) return;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', (data: string) => {
      for (const key of data) this.onKey(key);
    });
    stdin.resume();
  }

  private onKey(key: string): void {
    if (key === 'q' || key === '\u0003') this.finish({ kind: 'quit' });
    else if (key === 'k') this.killMaster();
    else if (key === 'r') void this.restartKilled();
    else if (key === 'f') void this.sentinelFailover();
    else if (key === 'c') void this.sentinelFailover(true);
  }

  private stopKeys(): void {
    const stdin = this.io.stdin;
    if (!stdin.isTTY) return;
    stdin.setRawMode(false);
    stdin.pause();
  }

  /**
   * A first signal stops everything in order; a second one while that runs
   * SIGKILLs the children at once. The 'exit' hook is the net under a crash.
   */
  private installHooks(): void {
    for (const signal of SIGNALS) {
      process.on(signal, () => {
        if (!this.finishing) return this.finish({ kind: 'signal', signal });
        this.group.killAllSync();
        process.exit(1);
      });
    }
    process.on('exit', () => {
      this.group.killAllSync();
      this.screen.end();
      if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /**
   * A terminal shows the new phase at once; appended output waits for the
   * next poll, so that no snapshot is printed with stale data under it.
   */
  private setPhase(phase: string): void {
    this.phase = phase;
    if (this.screen.tty || !this.poller) this.draw();
  }

  private label(addr: string): string {
    const name = this.names.get(addr);
    return name === undefined ? addr : `${name} ${addr}`;
  }

  // -------------------------------------------------------------------------
  // The end

  private finish(reason: StopReason): void {
    if (this.finishing) return;
    this.finishing = true;
    this.shutdown(reason).then(
      (code) => this.resolveDone(code),
      (err: unknown) => {
        this.io.stderr.write(`demo shutdown failed: ${errorText(err)}\n`);
        this.group.killAllSync();
        this.resolveDone(1);
      },
    );
  }

  private async shutdown(reason: StopReason): Promise<number> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.refresh);
    this.stopKeys();
    if (reason.kind === 'error') this.timeline.note('error', firstLine(reason.message));
    this.setPhase(`stopping (${reason.kind === 'signal' ? reason.signal : reason.kind})`);
    await this.finalPoll();
    this.draw();
    this.timeline.close();
    this.poller?.close();
    await this.group.stopAll();
    if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
    this.screen.end();
    // Built after stopAll(): the list holds every PID ever spawned, the killed and restarted ones too.
    const result = buildResult(this.resultInput(reason), { pids: [...this.group.pids], dir: this.opts.keep ? this.dir : null });
    if (reason.kind === 'error') this.io.stderr.write(`tssentinel demo: ${reason.message}\n`);
    this.resultPrinted = true;
    this.screen.line(`DEMO RESULT ${JSON.stringify(result)}`);
    return exitCodeOf(result, reason);
  }

  /** One last look at the topology, after any poll in flight. */
  private async finalPoll(): Promise<void> {
    if (!this.poller) return;
    while (this.polling) await sleep(IDLE_POLL_MS);
    this.snapshot = await this.poller.poll();
  }

  private resultInput(reason: StopReason): Parameters<typeof buildResult>[0] {
    const t = this.topology;
    return {
      reason,
      snapshot: this.snapshot,
      startedAtMs: this.startedAtMs,
      killRequested: this.opts.killAfterS !== undefined,
      kill: this.kill,
      watch: this.watch,
      initialMaster: t?.redis[0]?.addr,
      initialReplicas: t ? t.redis.slice(1).map((n) => n.addr) : [],
      names: this.names,
      events: this.timeline.events,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
