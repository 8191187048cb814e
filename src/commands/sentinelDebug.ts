/** SENTINEL DEBUG [<param> <value> ...]: show or change the time parameters. */
import { DEBUG_PARAMS } from '../core/timing.js';
import type { Runtime } from '../runtime.js';
import { OK, bulk, error, fieldMap, type Reply } from '../server/reply.js';
import { string2ll } from '../numbers.js';

export function sentinelDebugCommand(rt: Runtime, argv: readonly string[]): Reply {
  const timing = rt.state.timing;
  if (argv.length === 2) {
    return fieldMap(DEBUG_PARAMS.map(([name, key]) => [name, bulk(String(timing[key]))] as const));
  }
  const updates: Array<[keyof typeof timing, number]> = [];
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = argv[i + 1];
    const param = DEBUG_PARAMS.find(([n]) => n === name.toUpperCase());
    if (!param || value === undefined) {
      return error(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${name}'`);
    }
    const n = string2ll(value);
    if (n === undefined || n <= 0) {
      return error(`ERR Invalid argument '${value}' for SENTINEL DEBUG '${name}'`);
    }
    updates.push([param[1], n]);
  }
  rt.submit({ type: 'debugTiming', updates });
  return OK;
}
