/** The permission check of a command against a user's selectors (Redis's ACLCheckAllUserCommandPerm), and credential comparison. */
import { globMatch } from './glob.js';
import { type AclCommand, CHANNEL_ARGS, equalsNoCase } from './aclCatalog.js';
import { AclSelector, AclUser, hashPassword } from './aclRules.js';

/** Redis's ACL_DENIED_* in their order of relevance (a channel denial outranks a command one). */
export type AclDenial = { readonly reason: 'command' } | { readonly reason: 'channel'; readonly argIndex: number };

/** ACLSelectorCheckCmd: command bits (or first argument), then channels. Sentinel commands take no keys. */
function checkSelector(s: AclSelector, cmd: AclCommand, argv: readonly string[]): AclDenial | undefined {
  if (!s.allCommands && !cmd.noAuth && !s.allowed.has(cmd.id)) {
    const args = s.firstArgs.get(cmd.id);
    const first = argv[cmd.parent !== undefined ? 2 : 1];
    if (args === undefined || argv.length < 2 || first === undefined || !args.some((a) => equalsNoCase(a, first))) {
      return { reason: 'command' };
    }
  }
  const spec = CHANNEL_ARGS[cmd.name];
  if (s.allChannels || spec === undefined) return undefined;
  const last = spec.last < 0 ? argv.length - 1 : Math.min(spec.last, argv.length - 1);
  for (let i = spec.first; i <= last; i++) {
    if (!channelAllowed(s.channels, argv[i] as string, spec.pattern)) return { reason: 'channel', argIndex: i };
  }
  return undefined;
}

/** ACLCheckChannelAgainstList: a pattern subscription must be listed literally; a channel may match a pattern. */
export function channelAllowed(patterns: readonly string[], channel: string, isPattern: boolean): boolean {
  return patterns.some((p) => (isPattern ? p === channel : globMatch(p, channel)));
}

/** ACLCheckAllUserCommandPerm: allowed when any selector allows; else the most relevant denial. */
export function checkUser(u: AclUser, cmd: AclCommand, argv: readonly string[]): AclDenial | undefined {
  let relevant: AclDenial = { reason: 'command' };
  for (const s of u.selectors) {
    const denial = checkSelector(s, cmd, argv);
    if (denial === undefined) return undefined;
    if (denial.reason === 'channel' && (relevant.reason === 'command' || denial.argIndex > relevant.argIndex)) relevant = denial;
  }
  return relevant;
}

/** ACLCheckUserCredentials: the user exists, is on, and is nopass or has this password. */
export function credentialsMatch(u: AclUser | undefined, password: string): boolean {
  if (u === undefined || !u.enabled) return false;
  if (u.nopass) return true;
  const hashed = hashPassword(password);
  // Every stored hash is compared, so the time does not tell which one matched.
  let match = false;
  for (const p of u.passwords) match = constantTimeEqual(p, hashed) || match;
  return match;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
