/** The rule text ACL LIST / ACL GETUSER print for a user or selector (Redis's ACLDescribeUser / ACLDescribeSelector), shortest category form first. */
import { type AclCommand, CommandCatalog, SENTINEL_CATALOG } from './aclCatalog.js';
import { AclSelector, AclUser, KEY_ALL, KEY_READ, type KeyPattern, applySelectorRule, changePerm, countCategory, setCategory } from './aclRules.js';

function keyPatternText(k: KeyPattern): string {
  const prefix = k.flags === KEY_ALL ? '~' : k.flags === KEY_READ ? '%R~' : '%W~';
  return prefix + k.pattern;
}

/**
 * ACLDescribeSelectorCommandRules (7.0): a best-fit rewrite of the command
 * set: start from +@all or -@all, add whole categories while they fit better
 * than not, then fix single commands and first arguments, in table order.
 */
export function describeCommandRules(s: AclSelector, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const additive = !s.future;
  const rules: string[] = [additive ? '-@all' : '+@all'];
  const fake = new AclSelector(false);
  applySelectorRule(fake, rules[0] as string, catalog);
  const temp = new AclSelector(false);
  for (const id of s.allowed) temp.allowed.add(id);
  const applied = new Set<string>();
  for (;;) {
    const best = bestCategory(temp, additive, applied, catalog);
    if (best === undefined) break;
    setCategory(fake, best, additive, catalog);
    setCategory(temp, best, !additive, catalog);
    rules.push(`${additive ? '+' : '-'}@${best}`);
    applied.add(best);
  }
  for (const cmd of catalog.commands) {
    const userBit = s.allowed.has(cmd.id);
    fixSingle(s, fake, cmd, rules);
    for (const sub of cmd.subcommands?.values() ?? []) fixSingle(s, fake, sub, rules);
    const firstArgs = s.firstArgs.get(cmd.id);
    if (!userBit && firstArgs !== undefined) for (const arg of firstArgs) rules.push(`+${cmd.name}|${arg}`);
  }
  return rules.join(' ');
}

function bestCategory(temp: AclSelector, additive: boolean, applied: ReadonlySet<string>, catalog: CommandCatalog): string | undefined {
  let best: string | undefined;
  let minDiff = Number.MAX_SAFE_INTEGER;
  let maxSame = 0;
  for (const category of catalog.categories) {
    if (applied.has(category)) continue;
    const { on, off } = countCategory(temp, category, catalog);
    const diff = additive ? off : on;
    const same = additive ? on : off;
    if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
      best = category;
      minDiff = diff;
      maxSame = same;
    }
  }
  return best;
}

function fixSingle(s: AclSelector, fake: AclSelector, cmd: AclCommand, rules: string[]): void {
  const userBit = s.allowed.has(cmd.id);
  if (userBit === fake.allowed.has(cmd.id)) return;
  rules.push(`${userBit ? '+' : '-'}${cmd.name}`);
  changePerm(fake, cmd, userBit);
}

/** ACL GETUSER "keys": "~*" for allkeys, else the patterns. */
export function describeKeys(s: AclSelector): string {
  return s.allKeys ? '~*' : s.keys.map(keyPatternText).join(' ');
}

/** ACL GETUSER "channels": "&*" for allchannels, else the patterns. */
export function describeChannels(s: AclSelector): string {
  return s.allChannels ? '&*' : s.channels.map((c) => `&${c}`).join(' ');
}

/** ACLDescribeSelector: keys, channels (with "resetchannels"), command rules. */
function describeSelector(s: AclSelector, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const parts: string[] = [];
  if (s.allKeys) parts.push('~*');
  else parts.push(...s.keys.map(keyPatternText));
  if (s.allChannels) parts.push('&*');
  else parts.push('resetchannels', ...s.channels.map((c) => `&${c}`));
  parts.push(describeCommandRules(s, catalog));
  return parts.join(' ');
}

/** Flags in Redis's ACLUserFlags order. */
export function userFlags(u: AclUser): string[] {
  const flags = [u.enabled ? 'on' : 'off'];
  if (u.nopass) flags.push('nopass');
  if (u.sanitize === 'skip-sanitize-payload') flags.push('skip-sanitize-payload');
  if (u.sanitize === 'sanitize-payload') flags.push('sanitize-payload');
  return flags;
}

/** ACLDescribeUser: the rules after "user <name>" in ACL LIST and the ACL file. */
export function describeUser(u: AclUser, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const parts = [...userFlags(u), ...u.passwords.map((p) => `#${p}`)];
  let text = parts.map((p) => `${p} `).join('');
  for (const s of u.selectors) {
    const d = describeSelector(s, catalog);
    text += s.root ? d : ` (${d})`;
  }
  return text;
}
