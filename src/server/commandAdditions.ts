/**
 * Commands tssentinel accepts beyond redis-sentinel 7.0.15's table
 * (commandTable.ts, captured from the real one): Redis 7.2's CLIENT SETINFO
 * and Valkey 8.0's SENTINEL PRIMARY aliases. Written by hand from those
 * projects' command JSON files, in the shape COMMAND INFO / COMMAND DOCS of
 * a 7.0 server prints (no 7.2 `display_text`, no reply schemas).
 *
 * Data only: commandIndex.ts turns each entry into the same RESP3 trees
 * the captured table holds, for COMMAND INFO / DOCS and the ACL catalog.
 * `scripts/capture-command-table.mjs` rewrites commandTable.ts only, so a
 * new capture keeps these.
 */

/** One argument of COMMAND DOCS, fields in the order Redis prints them. */
export interface DocArgument {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  readonly token?: string;
  /** "optional", "multiple", "multiple_token". */
  readonly flags?: readonly string[];
  readonly arguments?: readonly DocArgument[];
}

export interface CommandDocs {
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly complexity: string;
  /** [version, what changed]. */
  readonly history?: ReadonlyArray<readonly [string, string]>;
  readonly arguments?: readonly DocArgument[];
}

export interface AddedCommand {
  /** "container|sub" for a subcommand. */
  readonly name: string;
  readonly arity: number;
  /** COMMAND INFO flags, in Redis's order. */
  readonly flags: readonly string[];
  /** ACL categories without '@', in Redis's order. */
  readonly categories: readonly string[];
  /** COMMAND INFO tips. */
  readonly tips: readonly string[];
  /**
   * Redis's SENTINEL / ONLY_SENTINEL command flags: why the command exists in
   * sentinel mode. Redis hides them from COMMAND INFO, and so do we.
   */
  readonly sentinelFlags: ReadonlyArray<'sentinel' | 'only_sentinel'>;
  readonly docs: CommandDocs;
  /** Where the command comes from, for the README's compatibility list. */
  readonly origin: 'Redis 7.2' | 'Valkey 8.0';
}

const SENTINEL_ADMIN = {
  arity: 0,
  flags: ['admin'],
  categories: ['admin', 'slow', 'dangerous'],
  tips: [],
  sentinelFlags: ['sentinel', 'only_sentinel'],
  origin: 'Valkey 8.0',
} as const;

const PRIMARY_NAME: DocArgument = { name: 'primary-name', type: 'string' };

export const ADDED_COMMANDS: readonly AddedCommand[] = [
  {
    name: 'client|setinfo',
    arity: 4,
    flags: ['noscript', 'loading', 'stale'],
    categories: ['slow', 'connection'],
    tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
    sentinelFlags: ['sentinel'],
    origin: 'Redis 7.2',
    docs: {
      summary: 'Sets information specific to the client or connection.',
      since: '7.2.0',
      group: 'connection',
      complexity: 'O(1)',
      arguments: [
        {
          name: 'attr',
          type: 'oneof',
          arguments: [
            { name: 'libname', type: 'string', token: 'lib-name' },
            { name: 'libver', type: 'string', token: 'lib-ver' },
          ],
        },
      ],
    },
  },
  {
    ...SENTINEL_ADMIN,
    name: 'sentinel|primary',
    arity: 3,
    docs: {
      summary: 'Returns the state of a primary instance.',
      since: '8.0.0',
      group: 'sentinel',
      complexity: 'O(1)',
      arguments: [PRIMARY_NAME],
    },
  },
  {
    ...SENTINEL_ADMIN,
    name: 'sentinel|primaries',
    arity: 2,
    docs: {
      summary: 'Returns a list of monitored primaries.',
      since: '8.0.0',
      group: 'sentinel',
      complexity: 'O(N) where N is the number of primaries',
    },
  },
  {
    ...SENTINEL_ADMIN,
    name: 'sentinel|get-primary-addr-by-name',
    arity: 3,
    docs: {
      summary: 'Returns the port and address of a primary instance.',
      since: '8.0.0',
      group: 'sentinel',
      complexity: 'O(1)',
      arguments: [PRIMARY_NAME],
    },
  },
  {
    ...SENTINEL_ADMIN,
    name: 'sentinel|is-primary-down-by-addr',
    arity: 6,
    docs: {
      summary: 'Determines whether a primary instance is down.',
      since: '8.0.0',
      group: 'sentinel',
      complexity: 'O(1)',
      arguments: [
        { name: 'ip', type: 'string' },
        { name: 'port', type: 'integer' },
        { name: 'current-epoch', type: 'integer' },
        { name: 'runid', type: 'string' },
      ],
    },
  },
];
