/**
 * SENTINEL subcommands. Each handler gets the whole argv ("sentinel", the
 * subcommand, its arguments); arity is checked by the server from the table.
 * Commands that change persisted state write the config before replying.
 */
import { defaultMasterConfig } from '../config/model.js';
import { instanceDetails } from '../core/details.js';
import { removeMaster } from '../core/instances.js';
import { currentMasterAddress } from '../core/failover.js';
import { quorumStatus } from '../core/quorum.js';
import { addMasterFromConfig } from '../core/sentinel.js';
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
import { parseStrictInt } from './numbers.js';
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
  const port = parseStrictInt(portArg);
  if (port === undefined) return error('ERR Invalid port');
  if (port < 0 || port > 65535) return error('ERR Invalid port number.');
  const quorum = parseStrictInt(quorumArg);
  // Above INT_MAX the config loader (atoi, as Redis) would not read it back.
  if (quorum === undefined || quorum > CONFIG_INT_MAX) return error('ERR Invalid quorum');
  if (quorum <= 0) return error('ERR Quorum must be 1 or greater.');
  let resolved: { host: string; ip?: string };
  try {
    // A numeric address is stored as inet_ntop prints it (127.1 -> 127.0.0.1,
    // 0:0::1 -> ::1), as Redis does and as the config loader reads it back.
    const numeric = normalizeNumericHost(host);
    resolved = numeric !== undefined ? { host: numeric } : await hostForCore(host, rt.config);
  } catch {
    return error('ERR Invalid IP address or hostname specified');
  }
  if (rt.state.masters.has(name)) return error('ERR Duplicate master name.');
  // The hostname is kept and its address known, so that announce-hostnames
  // can switch between the two at any time.
  if (resolved.ip !== undefined) rt.hostResolved(resolved.host, resolved.ip);
  const m = addMasterFromConfig(rt.state, defaultMasterConfig(name, resolved.host, port, quorum), rt.nowMs());
  rt.emitEvent('+monitor', `${instanceDetails(m)} quorum ${quorum}`, 'warning', name);
  return flushConfigAndReply(rt);
};

const remove = withMaster(async (rt, m) => {
  rt.emitEvent('-monitor', instanceDetails(m), 'warning', m.name);
  rt.apply(removeMaster(rt.state, m));
  return flushConfigAndReply(rt);
});

const reset: SubHandler = async (rt, argv) => {
  const pattern = argv[2] ?? '';
  let count = 0;
  for (const m of [...rt.state.masters.values()]) {
    if (!globMatch(pattern, m.name)) continue;
    rt.resetMaster(m);
    count += 1;
  }
  // The reply is the count even when the save fails, as in redis-sentinel
  // (the failure is logged by persist()).
  if (count > 0) await rt.persist().catch(() => undefined);
  return int(count);
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
  const port = parseStrictInt(portArg);
  const epoch = parseStrictInt(epochArg);
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

const simulateFailure: SubHandler = (rt, argv) => {
  const flags = rt.state.simulateFailure;
  // Each call replaces the flags with the ones it names, as redis-sentinel does.
  flags.crashAfterElection = false;
  flags.crashAfterPromotion = false;
  for (const arg of argv.slice(2)) {
    const a = arg.toLowerCase();
    if (a === 'crash-after-election') {
      flags.crashAfterElection = true;
      rt.log.warn('Failure simulation: this Sentinel will crash after being successfully elected as failover leader');
    } else if (a === 'crash-after-promotion') {
      flags.crashAfterPromotion = true;
      rt.log.warn('Failure simulation: this Sentinel will crash after promoting the selected replica to master');
    } else if (a === 'help') {
      return bulkArray(['crash-after-election', 'crash-after-promotion']);
    } else {
      return error('ERR Unknown failure simulation specified');
    }
  }
  return OK;
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
