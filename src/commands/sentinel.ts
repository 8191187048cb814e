/**
 * SENTINEL subcommands. Each handler gets the whole argv ("sentinel", the
 * subcommand, its arguments); arity is checked by the server from the table.
 * Commands that change persisted state write the config before replying.
 */
import type { SimulatedFailure } from '../core/admin.js';
import { currentMasterAddress } from '../core/failover.js';
import { quorumStatus } from '../core/quorum.js';
import { shownHost, type MasterState } from '../core/state.js';
import type { Runtime } from '../runtime.js';
import { hostForCore } from '../resolve.js';
import { normalizeNumericHost } from '../config/address.js';
import { globMatch } from '../server/glob.js';
import {
  NULL,
  OK,
  array,
  bulk,
  bulkArray,
  error,
  int,
  simple,
  type Reply,
} from '../server/reply.js';
import type { CommandContext } from '../server/types.js';
import { NO_SUCH_MASTER, SAVE_FAILED, flushConfigAndReply } from './errors.js';
import { instanceReply } from './instanceReply.js';
import { string2ll } from '../numbers.js';
import { sentinelConfigCommand } from './sentinelConfig.js';
import { sentinelDebugCommand } from './sentinelDebug.js';
import { CONFIG_INT_MAX, sentinelSetCommand } from './sentinelSet.js';
import { SENTINEL_HELP } from './sentinelHelp.js';

export type SubHandler = (rt: Runtime, argv: readonly string[], ctx: CommandContext) => Reply | Promise<Reply>;

export function lookupMaster(rt: Runtime, name: string | undefined): MasterState | undefined {
  return name === undefined ? undefined : rt.state.masters.get(name);
}

function withMaster(fn: (rt: Runtime, master: MasterState, argv: readonly string[]) => Reply | Promise<Reply>): SubHandler {
  return (rt, argv) => {
    const master = lookupMaster(rt, argv[2]);
    return master ? fn(rt, master, argv) : NO_SUCH_MASTER;
  };
}

const masters: SubHandler = (rt) => {
  const now = rt.nowMs();
  return array([...rt.state.masters.values()].map((m) => instanceReply(rt.state, m, m, now)));
};

const master = withMaster((rt, m) => instanceReply(rt.state, m, m, rt.nowMs()));

// Replicas whose INFO says replica_announced:0 are left out, as redis-sentinel
// does; they stay monitored and remain failover candidates.
const replicas = withMaster((rt, m) => {
  const now = rt.nowMs();
  const announced = [...m.replicas.values()].filter((r) => r.replicaAnnounced);
  return array(announced.map((r) => instanceReply(rt.state, r, m, now)));
});

const sentinels = withMaster((rt, m) => {
  const now = rt.nowMs();
  return array([...m.sentinels.values()].map((s) => instanceReply(rt.state, s, m, now)));
});

const getMasterAddrByName: SubHandler = (rt, argv) => {
  const m = lookupMaster(rt, argv[2]);
  if (!m) return { kind: 'nullArray' };
  const addr = currentMasterAddress(m);
  return bulkArray([shownHost(m.addressing, addr.host), String(addr.port)]);
};

const myid: SubHandler = (rt) => bulk(rt.state.myId);

const monitor: SubHandler = async (rt, argv) => {
  const [, , name = '', host = '', portArg = '', quorumArg = ''] = argv;
  const port = string2ll(portArg);
  if (port === undefined) return error('ERR Invalid port');
  if (port < 0 || port > 65535) return error('ERR Invalid port number.');
  const quorum = string2ll(quorumArg);
  // Above INT_MAX the config loader (atoi, as Redis) would not read it back.
  if (quorum === undefined || quorum > CONFIG_INT_MAX) return error('ERR Invalid quorum');
  if (quorum <= 0) return error('ERR Quorum must be 1 or greater.');
  let resolved: { host: string; ip?: string };
  try {
    // A numeric address is stored as inet_ntop prints it (127.1 -> 127.0.0.1,
    // 0:0::1 -> ::1), as Redis does and as the config loader reads it back.
    const numeric = normalizeNumericHost(host);
    resolved = numeric !== undefined ? { host: numeric } : await hostForCore(host, rt.state.settings);
  } catch {
    return error('ERR Invalid IP address or hostname specified');
  }
  if (rt.state.masters.has(name)) return error('ERR Duplicate master name.');
  const ip = resolved.ip === undefined ? {} : { ip: resolved.ip };
  rt.submit({ type: 'monitor', name, host: resolved.host, port, quorum, ...ip }, { deferPersist: true });
  return flushConfigAndReply(rt);
};

const remove = withMaster(async (rt, m) => {
  rt.submit({ type: 'remove', master: m.name }, { deferPersist: true });
  return flushConfigAndReply(rt);
});

const reset: SubHandler = async (rt, argv) => {
  const pattern = argv[2] ?? '';
  const names = [...rt.state.masters.keys()].filter((name) => globMatch(pattern, name));
  const { effects } = rt.submit({ type: 'reset', masters: names }, { deferPersist: true });
  // The reply is the count even when the save fails, as in redis-sentinel
  // (the failure is logged by persist()).
  if (effects.some((e) => e.type === 'persist')) await rt.persist().catch(() => undefined);
  return int(names.length);
};

const ckquorum = withMaster((_rt, m) => {
  const { usable, noQuorum, noMajority: noAuth } = quorumStatus(m);
  if (!noQuorum && !noAuth) {
    return simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
  }
  const reasons: string[] = [];
  if (noQuorum) reasons.push('Not enough available Sentinels to reach the specified quorum for this master');
  if (noAuth) reasons.push('Not enough available Sentinels to reach the majority and authorize a failover');
  return error(`NOQUORUM ${usable} usable Sentinels. ${reasons.join('. ')}`);
});

const flushconfig: SubHandler = (rt) => flushConfigAndReply(rt);

const infoCache: SubHandler = (rt, argv) => {
  const now = rt.nowMs();
  const names = argv.slice(2);
  const selected = [...rt.state.masters.values()].filter((m) => names.length === 0 || names.includes(m.name));
  const items: Reply[] = [];
  for (const m of selected) {
    const entries = [m, ...m.replicas.values()].map((inst) => array([
      int(inst.infoRefreshMs ? now - inst.infoRefreshMs : 0),
      inst.infoText !== undefined ? bulk(inst.infoText) : NULL,
    ]));
    items.push(bulk(m.name), array(entries));
  }
  return array(items);
};

const isMasterDownByAddr: SubHandler = async (rt, argv) => {
  const [, , ip = '', portArg = '', epochArg = '', runId = ''] = argv;
  const port = string2ll(portArg);
  const epoch = string2ll(epochArg);
  if (port === undefined || epoch === undefined) return error('ERR value is not an integer or out of range');
  try {
    const [down, leader, leaderEpoch] = await rt.isMasterDownByAddr(ip, port, epoch, runId);
    return array([int(down ? 1 : 0), bulk(leader), int(leaderEpoch)]);
  } catch {
    // The vote could not be persisted: refuse to answer rather than vote unrecorded.
    return SAVE_FAILED;
  }
};

// Replies at once, like redis-sentinel: the new epoch is written by the
// step's persist effect before anything of the failover is sent out.
// SENTINEL FAILOVER <name> COORDINATED (Valkey 9): a 4th argument other
// than COORDINATED gets redis-sentinel 7.0's arity error, as before.
const failover = withMaster((rt, m, argv) => {
  const option = argv[3];
  if (option !== undefined && (argv.length > 4 || option.toLowerCase() !== 'coordinated')) {
    return error("ERR wrong number of arguments for 'sentinel|failover' command");
  }
  const result = rt.manualFailover(m.name, option !== undefined);
  if (result === 'nosuchmaster') return NO_SUCH_MASTER;
  if (result === 'inprog') return error('INPROG Failover already in progress');
  if (result === 'nogoodslave') return error('NOGOODSLAVE No suitable replica to promote');
  if (result === 'masterdown') return error('MASTERDOWN The master is not reachable: a coordinated failover needs it');
  return OK;
});

const SIMULATED_FAILURES = new Map<string, SimulatedFailure>([
  ['crash-after-election', 'crashAfterElection'],
  ['crash-after-promotion', 'crashAfterPromotion'],
]);

// Each call replaces the flags with the ones it names, as redis-sentinel
// does, even when a later argument is HELP or unknown: the flags named before
// it stay set.
const simulateFailure: SubHandler = (rt, argv) => {
  const flags: SimulatedFailure[] = [];
  let reply: Reply = OK;
  for (const arg of argv.slice(2)) {
    const a = arg.toLowerCase();
    const flag = SIMULATED_FAILURES.get(a);
    if (flag !== undefined) {
      flags.push(flag);
      continue;
    }
    reply = a === 'help'
      ? bulkArray(['crash-after-election', 'crash-after-promotion'])
      : error('ERR Unknown failure simulation specified');
    break;
  }
  rt.submit({ type: 'simulateFailure', flags });
  return reply;
};

const pendingScripts: SubHandler = (rt) => rt.pendingScriptsReply();

const help: SubHandler = () => array(SENTINEL_HELP.map((line) => simple(line)));

export const SENTINEL_SUBCOMMANDS: Record<string, SubHandler> = {
  masters,
  master,
  // Valkey 8.0's aliases: same replies, field names unchanged.
  primaries: masters,
  primary: master,
  'get-primary-addr-by-name': getMasterAddrByName,
  'is-primary-down-by-addr': isMasterDownByAddr,
  replicas,
  slaves: replicas,
  sentinels,
  'get-master-addr-by-name': getMasterAddrByName,
  myid,
  monitor,
  remove,
  reset,
  set: (rt, argv) => sentinelSetCommand(rt, argv),
  ckquorum,
  flushconfig,
  config: (rt, argv) => sentinelConfigCommand(rt, argv),
  'info-cache': infoCache,
  'pending-scripts': pendingScripts,
  debug: (rt, argv) => sentinelDebugCommand(rt, argv),
  'is-master-down-by-addr': isMasterDownByAddr,
  failover,
  'simulate-failure': simulateFailure,
  help,
};
