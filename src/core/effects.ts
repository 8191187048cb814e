/**
 * What the core asks the shell to do. The shell (src/shell/executor.ts, run
 * by the runtime and by the simulator alike) executes effects in the order
 * they are returned and never reorders them.
 *
 * Ordering rule (etcd raft's `Ready.MustSync`): a `persist` with `sync: true`
 * is written to disk before any effect after it in the same batch is carried
 * out, and before any reply that the caller of `step` sends for that event
 * (the answer to IS-MASTER-DOWN-BY-ADDR, the reply to SENTINEL FAILOVER). The
 * core sets `sync: true` where it changes what a restart must not forget or
 * take back: the current epoch, a vote (leader and leader epoch), a master's
 * config epoch, a switched master address. `sync: false` is for discovery
 * (replicas and Sentinels added): the write may be coalesced with later ones
 * and finish after the following effects, and a crash before it completes
 * only loses what the next INFO or hello rediscovers. Every persist writes the
 * whole state as the step left it, so one write covers a batch: a batch with
 * any sync persist is written synchronously once, at its first persist. When
 * that write fails, the executor holds back what would reveal the unsaved
 * state (vote requests, hellos, SLAVEOF, a vote answer) until a write
 * succeeds; the core sees them as requests that got no reply.
 */
export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** Identifies the instance a request was made for, so its reply finds it again. */
export interface InstanceRef {
  master: string;
  kind: 'master' | 'slave' | 'sentinel';
  name: string;
}

export type Effect =
  | { type: 'connect'; link: string }
  /** Closes both connections of a link (the command one and, for a Redis instance, the pub/sub one). */
  | { type: 'disconnect'; link: string }
  /** Closes the command connection only (a stuck one); the pub/sub connection lives on, as in Redis. */
  | { type: 'disconnectCommand'; link: string }
  /** Opens the pub/sub connection (replacing any attempt in progress) and SUBSCRIBEs to the hello channel. */
  | { type: 'connectPubsub'; link: string }
  /** Closes the pub/sub connection only; the core reconnects it on a later tick. */
  | { type: 'disconnectPubsub'; link: string }
  | { type: 'ping'; link: string }
  | { type: 'info'; link: string; target: InstanceRef }
  | { type: 'publishHello'; link: string; payload: string }
  | { type: 'event'; level: LogLevel; channel: string; message: string; master?: string }
  /** Write the state to the config file; `sync`: durable before the next effect leaves (see above). */
  | { type: 'persist'; sync: boolean }
  /** SENTINEL IS-MASTER-DOWN-BY-ADDR to a peer; `runId` is ours when asking for a vote, else "*". */
  | { type: 'askMasterDown'; link: string; peer: InstanceRef; masterIp: string; masterPort: number; epoch: number; runId: string }
  /**
   * MULTI / SLAVEOF host port (NO ONE when host is undefined) / CONFIG REWRITE /
   * CLIENT KILL TYPE normal / CLIENT KILL TYPE pubsub / EXEC, with renamed commands.
   */
  | { type: 'slaveof'; link: string; target: InstanceRef; host?: string; port?: number }
  /**
   * FAILOVER TO <host> <port> TIMEOUT <timeoutMs> to the current master
   * (SENTINEL FAILOVER <name> COORDINATED); its reply comes back as a
   * `failoverToReply` event.
   */
  | { type: 'failoverTo'; link: string; target: InstanceRef; host: string; port: number; timeoutMs: number }
  /** FAILOVER ABORT to a master whose coordinated switch got stuck; the reply is only logged. */
  | { type: 'failoverAbort'; link: string; target: InstanceRef }
  /** client-reconfig-script <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>. */
  | { type: 'reconfigScript'; master: string; role: 'leader' | 'observer'; state: 'start';
      fromIp: string; fromPort: number; toIp: string; toPort: number }
  /** Run evaluateMaster for `master` at `atMs` (finer than the 100 ms tick). */
  | { type: 'wakeAt'; master: string; atMs: number }
  /** A log line only (no pub/sub event): why a decision went the way it did. */
  | { type: 'log'; level: LogLevel; message: string; master?: string }
  /** SENTINEL SIMULATE-FAILURE: the process must exit now. */
  | { type: 'crash'; reason: string };

export function sentinelEvent(
  level: LogLevel,
  channel: string,
  message: string,
  master?: string,
): Effect {
  return master === undefined
    ? { type: 'event', level, channel, message }
    : { type: 'event', level, channel, message, master };
}
