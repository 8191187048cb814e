/**
 * SENTINEL SET <master> <option> <value> [<option> <value> ...]. Options are
 * applied left to right; like Redis, the ones before a bad one stay applied,
 * and the config is written whenever anything changed.
 */
import type { MasterConfig } from '../config/model.js';
import { instanceDetails } from '../core/details.js';
import type { MasterState } from '../core/state.js';
import type { Runtime } from '../runtime.js';
import { OK, error, type Reply } from '../server/reply.js';
import { NO_SUCH_MASTER, SCRIPTS_DENIED, flushConfigAndReply, invalidSetArg, unknownSetOption } from './errors.js';
import { string2ll } from '../numbers.js';
import { isExecutable } from '../scripts/executable.js';

type OptionResult = { consumed: number; event?: string } | Reply;

type OptionHandler = (rt: Runtime, c: MasterConfig, values: readonly string[], option: string) => OptionResult;

/**
 * The config loader reads these with atoi() into an int, as Redis does, so a
 * value above INT_MAX would not come back after a restart (redis-sentinel
 * accepts it here, then loads it truncated, or refuses to start). Refused.
 */
export const CONFIG_INT_MAX = 2_147_483_647;

function positiveMs(apply: (c: MasterConfig, n: number) => void, min: number): OptionHandler {
  return (_rt, c, [value = ''], option) => {
    const n = string2ll(value);
    if (n === undefined || n < min || n > CONFIG_INT_MAX) return invalidSetArg(value, option);
    apply(c, n);
    return { consumed: 1, event: `${option} ${value}` };
  };
}

function script(key: 'notificationScript' | 'clientReconfigScript', what: string): OptionHandler {
  return (rt, c, [value = ''], option) => {
    if (rt.config.denyScriptsReconfig) return SCRIPTS_DENIED;
    if (value.length > 0 && !isExecutable(value)) {
      return error(`ERR ${what} seems non existing or non executable`);
    }
    if (value.length > 0) c[key] = value;
    else delete c[key];
    return { consumed: 1, event: `${option} ${value}` };
  };
}

function secret(key: 'authPass' | 'authUser', redact: boolean): OptionHandler {
  return (_rt, c, [value = ''], option) => {
    if (value.length > 0) c[key] = value;
    else delete c[key];
    return { consumed: 1, event: `${option} ${redact ? '******' : value}` };
  };
}

const renameCommand: OptionHandler = (_rt, c, values, option) => {
  const [from, to] = values;
  if (from === undefined || to === undefined) return unknownSetOption(option);
  if (from.length === 0 || to.length === 0) return invalidSetArg(`${from} ${to}`, option);
  const key = from.toLowerCase();
  if (key === to.toLowerCase()) delete c.renameCommands[key];
  else c.renameCommands[key] = to;
  return { consumed: 2, event: `${option} ${from} ${to}` };
};

const OPTIONS: Record<string, OptionHandler> = {
  'down-after-milliseconds': positiveMs((c, n) => { c.downAfterMs = n; }, 1),
  'failover-timeout': positiveMs((c, n) => { c.failoverTimeoutMs = n; }, 1),
  'parallel-syncs': positiveMs((c, n) => { c.parallelSyncs = n; }, 1),
  quorum: positiveMs((c, n) => { c.quorum = n; }, 1),
  'master-reboot-down-after-period': positiveMs((c, n) => { c.masterRebootDownAfterPeriodMs = n; }, 0),
  'notification-script': script('notificationScript', 'Notification script'),
  'client-reconfig-script': script('clientReconfigScript', 'Client reconfiguration script'),
  'auth-pass': secret('authPass', true),
  'auth-user': secret('authUser', false),
  'rename-command': renameCommand,
};

/** Options that change how links authenticate: re-make the links (renamed commands apply per call). */
const LINK_OPTIONS = new Set(['auth-pass', 'auth-user']);


export async function sentinelSetCommand(rt: Runtime, argv: readonly string[]): Promise<Reply> {
  const master = rt.state.masters.get(argv[2] ?? '');
  if (!master) return NO_SUCH_MASTER;
  let changes = 0;
  let relink = false;
  let failure: Reply | undefined;
  for (let i = 3; i < argv.length;) {
    const option = argv[i]!;
    const handler = OPTIONS[option.toLowerCase()];
    // An option takes at most two values: copying the rest of argv per option made 20,000 pairs quadratic.
    const values = argv.slice(i + 1, i + 3);
    const result = handler && values.length > 0 ? handler(rt, master.config, values, option) : unknownSetOption(option);
    if ('kind' in result) {
      failure = result;
      break;
    }
    changes += 1;
    relink ||= LINK_OPTIONS.has(option.toLowerCase());
    if (result.event) rt.emitEvent('+set', `${instanceDetails(master)} ${result.event}`, 'warning', master.name);
    i += 1 + result.consumed;
  }
  if (changes === 0) return failure ?? OK;
  if (relink) rt.relinkMaster(master);
  // A bad option after good ones: its error is the reply, the good ones are still saved.
  if (failure) {
    await rt.persist().catch(() => undefined);
    return failure;
  }
  return flushConfigAndReply(rt);
}

export type { MasterState };
