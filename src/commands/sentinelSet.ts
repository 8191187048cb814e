/**
 * SENTINEL SET <master> <option> <value> [<option> <value> ...]. Options are
 * applied left to right; like Redis, the ones before a bad one stay applied,
 * and the config is written whenever anything changed.
 */
import type { MasterOptionChange } from '../core/admin.js';
import type { Runtime } from '../runtime.js';
import { OK, error, type Reply } from '../server/reply.js';
import { NO_SUCH_MASTER, SCRIPTS_DENIED, flushConfigAndReply, invalidSetArg, unknownSetOption } from './errors.js';
import { string2ll } from '../numbers.js';
import { isExecutable } from '../scripts/executable.js';

type OptionResult = { consumed: number; change: MasterOptionChange } | Reply;

type OptionHandler = (rt: Runtime, values: readonly string[], option: string) => OptionResult;

/**
 * The config loader reads these with atoi() into an int, as Redis does, so a
 * value above INT_MAX would not come back after a restart (redis-sentinel
 * accepts it here, then loads it truncated, or refuses to start). Refused.
 */
export const CONFIG_INT_MAX = 2_147_483_647;

function positiveMs(field: Extract<MasterOptionChange, { value: number }>['field'], min: number): OptionHandler {
  return (_rt, [value = ''], option) => {
    const n = string2ll(value);
    if (n === undefined || n < min || n > CONFIG_INT_MAX) return invalidSetArg(value, option);
    return { consumed: 1, change: { field, option, raw: value, value: n } };
  };
}

function script(field: 'notificationScript' | 'clientReconfigScript', what: string): OptionHandler {
  return (rt, [value = ''], option) => {
    if (rt.config.denyScriptsReconfig) return SCRIPTS_DENIED;
    if (value.length > 0 && !isExecutable(value)) {
      return error(`ERR ${what} seems non existing or non executable`);
    }
    return { consumed: 1, change: { field, option, raw: value } };
  };
}

function secret(field: 'authPass' | 'authUser'): OptionHandler {
  return (_rt, [value = ''], option) => ({ consumed: 1, change: { field, option, raw: value } });
}

const renameCommand: OptionHandler = (_rt, values, option) => {
  const [from, to] = values;
  if (from === undefined || to === undefined) return unknownSetOption(option);
  if (from.length === 0 || to.length === 0) return invalidSetArg(`${from} ${to}`, option);
  return { consumed: 2, change: { field: 'renameCommand', option, from, to } };
};

const OPTIONS: Record<string, OptionHandler> = {
  'down-after-milliseconds': positiveMs('downAfterMs', 1),
  'failover-timeout': positiveMs('failoverTimeoutMs', 1),
  'parallel-syncs': positiveMs('parallelSyncs', 1),
  quorum: positiveMs('quorum', 1),
  'master-reboot-down-after-period': positiveMs('masterRebootDownAfterPeriodMs', 0),
  // Valkey 8.0's spelling of the same option: same checks, same field, saved
  // under the 7.0 name (config/rewrite.ts) so redis-sentinel 7.0 can load the file.
  'primary-reboot-down-after-period': positiveMs('masterRebootDownAfterPeriodMs', 0),
  'notification-script': script('notificationScript', 'Notification script'),
  'client-reconfig-script': script('clientReconfigScript', 'Client reconfiguration script'),
  'auth-pass': secret('authPass'),
  'auth-user': secret('authUser'),
  'rename-command': renameCommand,
};

/** Options that change how links authenticate: re-make the links (renamed commands apply per call). */
const LINK_OPTIONS = new Set(['auth-pass', 'auth-user']);

export async function sentinelSetCommand(rt: Runtime, argv: readonly string[]): Promise<Reply> {
  const master = rt.state.masters.get(argv[2] ?? '');
  if (!master) return NO_SUCH_MASTER;
  const changes: MasterOptionChange[] = [];
  let relink = false;
  let failure: Reply | undefined;
  for (let i = 3; i < argv.length;) {
    const option = argv[i]!;
    const handler = Object.hasOwn(OPTIONS, option.toLowerCase()) ? OPTIONS[option.toLowerCase()] : undefined;
    // An option takes at most two values: copying the rest of argv per option made 20,000 pairs quadratic.
    const values = argv.slice(i + 1, i + 3);
    const result = handler && values.length > 0 ? handler(rt, values, option) : unknownSetOption(option);
    if ('kind' in result) {
      failure = result;
      break;
    }
    changes.push(result.change);
    relink ||= LINK_OPTIONS.has(option.toLowerCase());
    i += 1 + result.consumed;
  }
  if (changes.length === 0) return failure ?? OK;
  rt.submit({ type: 'setMasterOptions', master: master.name, changes }, { deferPersist: true });
  if (relink) rt.relinkMaster(master);
  // A bad option after good ones: its error is the reply, the good ones are still saved.
  if (failure) {
    await rt.persist().catch(() => undefined);
    return failure;
  }
  return flushConfigAndReply(rt);
}
