/** The commands an ACL rule can name (Redis's command table as its ACL sees it: ids, categories, subcommands), read from the command index. */
import { ACL_CATEGORIES, TOP_LEVEL_COMMANDS, type IndexedCommand } from './commandIndex.js';

export interface AclCommand {
  /** Position in the catalog, Redis's command id. */
  readonly id: number;
  /** Full name as Redis prints it: "ping", "client|kill". */
  readonly name: string;
  readonly categories: ReadonlySet<string>;
  /** CMD_NO_AUTH (AUTH, HELLO): never refused by the command rules. */
  readonly noAuth: boolean;
  readonly parent: AclCommand | undefined;
  /** By lower-case subcommand name, in table order. */
  readonly subcommands: ReadonlyMap<string, AclCommand> | undefined;
}

/** Which arguments are channels (Redis's getChannelsFromCommand table, for the commands Sentinel has). */
export const CHANNEL_ARGS: Readonly<Record<string, { first: number; last: number; pattern: boolean }>> = {
  publish: { first: 1, last: 1, pattern: false },
  subscribe: { first: 1, last: -1, pattern: false },
  psubscribe: { first: 1, last: -1, pattern: true },
};

export class CommandCatalog {
  /** Top-level commands in table order (Redis walks its command dict in the same spirit). */
  readonly commands: readonly AclCommand[];
  readonly categories: readonly string[];
  private readonly byName = new Map<string, AclCommand>();

  constructor(index: readonly IndexedCommand[], categories: readonly string[]) {
    this.categories = categories;
    let nextId = 0;
    const build = (entry: IndexedCommand, parent: AclCommand | undefined): AclCommand => {
      const subcommands = entry.subcommands.length > 0 ? new Map<string, AclCommand>() : undefined;
      const cmd: AclCommand = {
        id: nextId++,
        name: entry.name,
        categories: new Set(entry.categories),
        noAuth: entry.flags.includes('no_auth'),
        parent,
        subcommands,
      };
      for (const s of entry.subcommands) {
        const sub = build(s, cmd);
        subcommands?.set(sub.name.split('|')[1] ?? sub.name, sub);
      }
      return cmd;
    };
    this.commands = index.map((entry) => build(entry, undefined));
    for (const cmd of this.commands) this.byName.set(cmd.name, cmd);
  }

  /**
   * Redis's lookupCommandBySds (strict): "name" or "name|sub", case-insensitive;
   * a second part on a command without subcommands, or a third part, is no command.
   */
  lookup(name: string): AclCommand | undefined {
    const cached = this.lookupCache.get(name);
    if (cached !== undefined) return cached;
    const found = this.lookupUncached(name);
    // Only real command names are cached, and a bounded number of spellings
    // (case variants are endless).
    if (found !== undefined && this.lookupCache.size < 1024) this.lookupCache.set(name, found);
    return found;
  }

  private readonly lookupCache = new Map<string, AclCommand>();

  private lookupUncached(name: string): AclCommand | undefined {
    const parts = name.split('|');
    if (parts.length > 2) return undefined;
    const base = this.byName.get(asciiLower(parts[0] ?? ''));
    if (parts.length === 1 || base === undefined) return base;
    return base.subcommands?.get(asciiLower(parts[1] ?? ''));
  }

  hasCategory(name: string): boolean {
    return this.categories.includes(asciiLower(name));
  }

  /** Every command and subcommand, each container followed by its subcommands. */
  *all(): Generator<AclCommand> {
    for (const cmd of this.commands) {
      yield cmd;
      if (cmd.subcommands !== undefined) yield* cmd.subcommands.values();
    }
  }
}

/** redis-sentinel 7.0.15's commands, as its ACL sees them, and the Redis 7.2 / Valkey additions. */
export const SENTINEL_CATALOG = new CommandCatalog(TOP_LEVEL_COMMANDS, ACL_CATEGORIES);

export function asciiLower(s: string): string {
  // Hot path (every command is checked): most names are lower case already.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32));
  }
  return s;
}

/** C strcasecmp() == 0: ASCII letters only fold. */
export function equalsNoCase(a: string, b: string): boolean {
  return a.length === b.length && asciiLower(a) === asciiLower(b);
}
