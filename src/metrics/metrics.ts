/**
 * Prometheus metrics (prom-client), served over HTTP on `metrics-port`.
 * Gauges are computed from the live state at scrape time, so nothing in the
 * hot paths has to remember to update them; counters follow the events the
 * Sentinel publishes anyway.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MasterState, SentinelState } from '../core/state.js';
import { currentMasterAddress } from '../core/failover.js';
import { quorumStatus } from '../core/quorum.js';
import type { Runtime } from '../runtime.js';
import type { RespServer } from '../server/server.js';
import { REDIS_VERSION } from '../config/errors.js';

const PACKAGE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const FAILOVER_START = new Set(['+try-failover']);
const FAILOVER_ABORT = /^-failover-abort-/;

export class SentinelMetrics {
  readonly registry = new Registry();
  private readonly failoverStartedMs = new Map<string, number>();
  private readonly started: Counter<'master'>;
  private readonly succeeded: Counter<'master'>;
  private readonly aborted: Counter<'master' | 'reason'>;
  private readonly lastDuration: Gauge<'master'>;
  private readonly events: Counter<'event' | 'master'>;
  private readonly scriptRuns: Counter;
  private readonly scriptFailures: Counter;

  constructor(private readonly rt: Runtime, private readonly server: RespServer) {
    // Stock names (process_*, nodejs_*), so the usual Node.js dashboards fit.
    collectDefaultMetrics({ register: this.registry });
    const reg = this.registry;
    const masterNames = (): string[] => [...rt.state.masters.keys()];
    // Every monitored master has its failover series from the start (at 0),
    // so rate() and alerts work before the first failover.
    const perMaster = { collect(this: Counter<'master'>) { for (const master of masterNames()) this.inc({ master }, 0); } };
    this.started = new Counter({ name: 'sentinel_failovers_started_total', help: 'Failovers this Sentinel tried (+try-failover)', labelNames: ['master'], registers: [reg], ...perMaster });
    this.succeeded = new Counter({ name: 'sentinel_failovers_succeeded_total', help: 'Failovers this Sentinel led to the end (+switch-master as leader)', labelNames: ['master'], registers: [reg], ...perMaster });
    this.aborted = new Counter({ name: 'sentinel_failovers_aborted_total', help: 'Failovers aborted, by reason', labelNames: ['master', 'reason'], registers: [reg] });
    this.lastDuration = new Gauge({ name: 'sentinel_last_failover_duration_seconds', help: 'From +try-failover to +switch-master of the last failover this Sentinel led', labelNames: ['master'], registers: [reg] });
    this.events = new Counter({ name: 'sentinel_events_total', help: 'Events published, by type and master ("" for Sentinel-wide events such as +tilt)', labelNames: ['event', 'master'], registers: [reg] });
    new Gauge({ name: 'tssentinel_build_info', help: 'Build information (value 1)', labelNames: ['version', 'redis_version', 'node_version'], registers: [reg] })
      .set({ version: PACKAGE_VERSION, redis_version: REDIS_VERSION, node_version: process.version }, 1);
    this.scriptRuns = new Counter({ name: 'sentinel_script_runs_total', help: 'Script processes started', registers: [reg] });
    this.scriptFailures = new Counter({ name: 'sentinel_script_failures_total', help: 'Script runs that failed (exit code != 0, signal, timeout)', registers: [reg] });
    this.defineStateGauges();
    rt.eventListeners.push((channel, _message, master) => this.onEvent(channel, master));
  }

  private onEvent(channel: string, master: string | undefined): void {
    this.events.inc({ event: channel, master: master ?? '' });
    if (channel === '+script-child') this.scriptRuns.inc();
    if (channel === '-script-error' || channel === '-script-timeout') this.scriptFailures.inc();
    if (master === undefined) return;
    if (FAILOVER_START.has(channel)) {
      this.started.inc({ master });
      this.failoverStartedMs.set(master, this.rt.nowMs());
    } else if (FAILOVER_ABORT.test(channel)) {
      this.aborted.inc({ master, reason: channel.slice('-failover-abort-'.length) });
      this.failoverStartedMs.delete(master);
    } else if (channel === '+switch-master') {
      const startMs = this.failoverStartedMs.get(master);
      if (startMs === undefined) return; // an observer learning it by hello
      this.succeeded.inc({ master });
      this.lastDuration.set({ master }, (this.rt.nowMs() - startMs) / 1000);
      this.failoverStartedMs.delete(master);
    }
  }

  private gauge(name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void): void {
    new Gauge({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); collect(this); } });
  }

  private defineStateGauges(): void {
    const st = (): SentinelState => this.rt.state;
    const masters = (): MasterState[] => [...st().masters.values()];
    this.gauge('sentinel_master_address', 'Current master address (value 1)', ['master', 'ip', 'port'], (g) => {
      for (const m of masters()) {
        const a = currentMasterAddress(m);
        g.set({ master: m.name, ip: a.host, port: String(a.port) }, 1);
      }
    });
    this.gauge('sentinel_master_sdown', 'Master subjectively down (1) or not (0)', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, m.sdown ? 1 : 0);
    });
    this.gauge('sentinel_master_odown', 'Master objectively down (1) or not (0)', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, m.odown ? 1 : 0);
    });
    this.gauge('sentinel_master_failover_in_progress', 'A failover of this master is running', ['master', 'state'], (g) => {
      for (const m of masters()) g.set({ master: m.name, state: m.failover.state }, m.failover.state === 'none' ? 0 : 1);
    });
    this.gauge('sentinel_master_replicas', 'Known replicas', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, m.replicas.size);
    });
    this.gauge('sentinel_master_sentinels', 'Known Sentinels including this one', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, m.sentinels.size + 1);
    });
    this.gauge('sentinel_master_quorum_reachable', 'CKQUORUM: 1 when quorum and majority are reachable', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, quorumReachable(m) ? 1 : 0);
    });
    this.gauge('sentinel_master_config_epoch', 'Config epoch of the master', ['master'], (g) => {
      for (const m of masters()) g.set({ master: m.name }, m.config.configEpoch);
    });
    this.gauge('sentinel_current_epoch', 'Current epoch', [], (g) => g.set(st().currentEpoch));
    this.gauge('sentinel_tilt', 'TILT mode (1) or not (0)', [], (g) => g.set(st().tilt ? 1 : 0));
    this.gauge('sentinel_connected_clients', 'Clients connected to this Sentinel', [], (g) => g.set(this.server.clientCount()));
    this.defineLinkGauges(masters);
    new Counter({
      name: 'sentinel_instances_refused_total',
      help: 'Hellos and INFO lines naming a Sentinel or replica beyond max-sentinels-per-master / max-replicas-per-master (not stored)',
      labelNames: ['master', 'kind'], registers: [this.registry],
      // Every master has both series from the start (at 0), so an alert on increase() works at the first refusal.
      collect() {
        this.reset();
        for (const m of masters()) {
          for (const kind of ['sentinel', 'slave'] as const) this.inc({ master: m.name, kind }, m.refused?.[kind].total ?? 0);
        }
      },
    });
    const server = this.server;
    new Counter({
      name: 'sentinel_commands_total', help: 'Commands processed, by name', labelNames: ['command'], registers: [this.registry],
      collect() {
        this.reset();
        for (const [command, n] of server.commandCounts) this.inc({ command }, n);
      },
    });
  }

  private defineLinkGauges(masters: () => MasterState[]): void {
    const each = (fn: (labels: Record<string, string>, link: NonNullable<ReturnType<SentinelState['links']['get']>>) => void) => {
      for (const m of masters()) {
        for (const inst of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
          const link = this.rt.state.links.get(inst.linkKey);
          if (link) fn({ master: m.name, kind: inst.kind, instance: `${inst.host}:${inst.port}` }, link);
        }
      }
    };
    const labels = ['master', 'kind', 'instance'];
    this.gauge('sentinel_link_ping_latency_seconds', 'Round trip of the last valid PING reply', labels, (g) => {
      each((l, link) => { if (link.lastPingRttMs !== undefined) g.set(l, link.lastPingRttMs / 1000); });
    });
    this.gauge('sentinel_link_last_ok_age_seconds', 'Seconds since the last valid PING reply', labels, (g) => {
      const now = this.rt.nowMs();
      each((l, link) => g.set(l, (now - link.lastAvailMs) / 1000));
    });
    this.gauge('sentinel_link_connected', 'Command link connected (1) or not (0)', labels, (g) => {
      each((l, link) => g.set(l, link.connected ? 1 : 0));
    });
  }

  /**
   * /healthz: the process serves (200). /readyz: 200 when, for every
   * monitored master, the quorum and the majority of Sentinels are reachable
   * (SENTINEL CKQUORUM would say OK) and we are not in TILT; 503 with the
   * reasons otherwise.
   */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (this.rt.state.tilt) reasons.push('TILT mode');
    for (const m of this.rt.state.masters.values()) {
      if (!quorumReachable(m)) reasons.push(`${m.name}: quorum or majority of Sentinels not reachable (NOQUORUM)`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end('method not allowed\n');
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const { ready, reasons } = this.readiness();
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready ? 'ready\n' : `${reasons.join('\n')}\n`);
    } else if (path === '/metrics' || path === '/') {
      this.registry.metrics().then((body) => {
        res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(body);
      }, (err: unknown) => {
        res.writeHead(500).end(`${String(err)}\n`);
      });
    } else {
      res.writeHead(404).end('not found\n');
    }
  }

  /** Serves /metrics, /healthz and /readyz; resolves once listening. */
  listen(port: number, host: string): Promise<Server> {
    const http = createServer((req, res) => this.handle(req, res));
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve(http));
    });
  }
}

function quorumReachable(m: MasterState): boolean {
  const q = quorumStatus(m);
  return !q.noQuorum && !q.noMajority;
}
