/**
 * Sentinel's time parameters. Each SentinelState carries its own copy, which
 * SENTINEL DEBUG changes at run time (Redis keeps them as globals).
 */
export type Timing = typeof DEFAULT_TIMING;

export function defaultTiming(): Timing {
  return { ...DEFAULT_TIMING };
}

const DEFAULT_TIMING = {
  infoPeriodMs: 10_000,
  fastInfoPeriodMs: 1_000,
  /** INFO period for a replica being promoted or reconfigured (Redis: 1 s). */
  failoverInfoPeriodMs: 50,
  /** While a master is SDOWN but not yet ODOWN, peers are asked this often (Redis: ask-period). */
  sdownAskPeriodMs: 50,
  pingPeriodMs: 1_000,
  askPeriodMs: 1_000,
  publishPeriodMs: 2_000,
  defaultDownAfterMs: 30_000,
  defaultFailoverTimeoutMs: 180_000,
  tiltTriggerMs: 2_000,
  tiltPeriodMs: 30_000,
  slaveReconfTimeoutMs: 10_000,
  minLinkReconnectPeriodMs: 15_000,
  electionTimeoutMs: 10_000,
  scriptMaxRuntimeMs: 60_000,
  scriptRetryDelayMs: 30_000,
  maxPendingCommands: 100,
  /**
   * Links that may start connection attempts in one tick, beyond a master's
   * own link and links that answered since the start (linkHealth.ts).
   */
  connectsPerTick: 100,
  /**
   * Delay between ODOWN and +try-failover, per rank of our run id among the
   * known Sentinels: wide enough that the ODOWN instants of different
   * Sentinels (tens of ms apart, measured up to 34 ms here) do not make two
   * neighbouring ranks start together.
   */
  startSlotMs: 100,
  /** Random part added to the slot start, a fraction of the slot. */
  startSlotJitter: 0.2,
};

/** SENTINEL DEBUG names, in the order the real one lists them. */
export const DEBUG_PARAMS: ReadonlyArray<readonly [string, keyof Timing]> = [
  ['INFO-PERIOD', 'infoPeriodMs'],
  ['PING-PERIOD', 'pingPeriodMs'],
  ['ASK-PERIOD', 'askPeriodMs'],
  ['PUBLISH-PERIOD', 'publishPeriodMs'],
  ['DEFAULT-DOWN-AFTER', 'defaultDownAfterMs'],
  ['DEFAULT-FAILOVER-TIMEOUT', 'defaultFailoverTimeoutMs'],
  ['TILT-TRIGGER', 'tiltTriggerMs'],
  ['TILT-PERIOD', 'tiltPeriodMs'],
  ['SLAVE-RECONF-TIMEOUT', 'slaveReconfTimeoutMs'],
  ['MIN-LINK-RECONNECT-PERIOD', 'minLinkReconnectPeriodMs'],
  ['ELECTION-TIMEOUT', 'electionTimeoutMs'],
  ['SCRIPT-MAX-RUNTIME', 'scriptMaxRuntimeMs'],
  ['SCRIPT-RETRY-DELAY', 'scriptRetryDelayMs'],
];
