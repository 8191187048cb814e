/**
 * Arity and flags of the Sentinel-specific commands, as redis-sentinel 7.0
 * declares them (COMMAND INFO), plus Valkey 8.0's PRIMARY aliases (same
 * flags as the MASTER forms they alias). Handlers are attached in register.ts.
 */
import type { CommandSpec } from '../server/types.js';

const ADMIN = { flags: ['admin'], categories: ['admin', 'slow', 'dangerous'] } as const;

const SENTINEL_ARITIES: ReadonlyArray<readonly [string, number]> = [
  ['ckquorum', 3],
  ['config', -3],
  ['debug', -2],
  ['failover', 3],
  ['flushconfig', 2],
  ['get-master-addr-by-name', 3],
  ['get-primary-addr-by-name', 3],
  ['help', 2],
  ['info-cache', -3],
  ['is-master-down-by-addr', 6],
  ['is-primary-down-by-addr', 6],
  ['master', 3],
  ['masters', 2],
  ['monitor', 6],
  ['myid', 2],
  ['pending-scripts', 2],
  ['primaries', 2],
  ['primary', 3],
  ['remove', 3],
  ['replicas', 3],
  ['reset', 3],
  ['sentinels', 3],
  ['set', -5],
  ['simulate-failure', -3],
  ['slaves', 3],
];

export function sentinelCommandSpecs(): CommandSpec[] {
  return [
    {
      name: 'sentinel',
      arity: -2,
      ...ADMIN,
      subcommands: SENTINEL_ARITIES.map(([sub, arity]) => ({
        name: `sentinel|${sub}`,
        arity,
        // COMMAND INFO keeps redis-sentinel's 3; the COORDINATED option
        // (Valkey 9) needs a 4th argument, any other is refused by the handler
        // with the same arity error.
        ...(sub === 'failover' ? { acceptArity: -3 } : {}),
        ...(sub === 'help' ? { flags: ['loading', 'stale'], categories: ['slow'] } : ADMIN),
      })),
    },
    { name: 'info', arity: -1, flags: ['loading', 'stale'], categories: ['slow', 'dangerous'] },
    { name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], categories: ['admin', 'fast', 'dangerous'] },
  ];
}
