/**
 * A textual scan for writes to core state outside src/core (one writer:
 * only step() changes Sentinel state). Not a type checker: it follows
 * values reached from `.state` / `.state.` and values typed as core state
 * within one file, and reports assignments and mutating calls on them.
 */

/** Types whose values belong to the core (a parameter so typed is core state). */
const CORE_TYPES = [
  'SentinelState', 'MasterState', 'ReplicaState', 'PeerSentinelState', 'AnyInstance',
  'InstanceBase', 'LinkState', 'Addressing', 'Timing', 'Failover', 'SentinelSettings', 'MasterConfig',
];

const MUTATING_METHODS = ['set', 'delete', 'clear', 'push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill'];

/** A property chain after a value: `.a`, `?.b`, `[k]`, `.get(x)`. */
const CHAIN = String.raw`(?:\??\.[A-Za-z_$][\w$]*|\[[^\]\n]*\]|\([^()\n]*\))*`;
/** An assignment operator (not ==, ===, =>). */
const ASSIGN = String.raw`(?:=(?![=>])|\+=|-=|\*=|\/=|\|\|=|&&=|\?\?=|\+\+|--)`;

export interface StateWrite {
  line: number;
  text: string;
}

function stripComments(source: string): string {
  // Keeps line numbers: block comments become as many newlines.
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function escape(name: string): string {
  return name.replace(/\$/g, '\\$');
}

/** Local names bound to core state: declared from a `.state` expression, iterated from one, or typed as one. */
function taintedNames(code: string): Set<string> {
  const names = new Set<string>();
  const typed = new RegExp(String.raw`\b([A-Za-z_$][\w$]*)\??\s*:\s*(?:readonly\s+)?(?:${CORE_TYPES.join('|')})\b`, 'g');
  for (const m of code.matchAll(typed)) names.add(m[1]!);
  // The value itself is (a part of) core state: `rt.state.x`, `master.config`,
  // `this.state.masters.get(n)`; an array built from state is a new value.
  const reachesState = (expr: string): boolean =>
    /^[\w$]+(?:\??\.[\w$]+)*\.state\b/.test(expr.trim()) ||
    [...names].some((n) => new RegExp(String.raw`^${escape(n)}(?![\w$])(?!\s*\()`).test(expr.trim()));
  const decl = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=\n]+)?=\s*([^;\n]*)/g;
  const loop = /\bfor\s*\(\s*(?:const|let)\s+([A-Za-z_$][\w$]*)\s+of\s+([^)\n]*\)?)/g;
  // To a fixed point: a name taken from a tainted name is tainted too.
  for (let changed = true; changed;) {
    changed = false;
    for (const re of [decl, loop]) {
      for (const m of code.matchAll(re)) {
        const [, name, expr] = m as unknown as [string, string, string];
        if (!names.has(name) && reachesState(expr)) {
          names.add(name);
          changed = true;
        }
      }
    }
  }
  return names;
}

/** Every assignment or mutating call on core state in one file outside src/core. */
export function findStateWrites(source: string): StateWrite[] {
  const code = stripComments(source);
  const roots = [String.raw`\.state`, ...[...taintedNames(code)].map((n) => String.raw`(?<![\w$.])${escape(n)}`)];
  const patterns: RegExp[] = [];
  for (const root of roots) {
    // At least one property after the root: re-binding a local is not a write.
    const chain = String.raw`${root}(?:\??\.[A-Za-z_$][\w$]*|\[[^\]\n]*\])${CHAIN}`;
    patterns.push(new RegExp(String.raw`${chain}\s*${ASSIGN}`));
    patterns.push(new RegExp(String.raw`${root}${CHAIN}\.(?:${MUTATING_METHODS.join('|')})\(`));
    patterns.push(new RegExp(String.raw`\bdelete\s+${chain}`));
    patterns.push(new RegExp(String.raw`(?:\+\+|--)${chain}`));
  }
  const writes: StateWrite[] = [];
  code.split('\n').forEach((line, i) => {
    if (patterns.some((re) => re.test(line))) writes.push({ line: i + 1, text: line.trim() });
  });
  return writes;
}

/** The runtime's own copy of the parsed config must not be written either (one place for live settings). */
export function findConfigWrites(source: string): StateWrite[] {
  const code = stripComments(source);
  const re = new RegExp(String.raw`\b(?:rt|runtime|this)\.config(?:\.[A-Za-z_$][\w$]*|\[[^\]\n]*\])+\s*${ASSIGN}`);
  const writes: StateWrite[] = [];
  code.split('\n').forEach((line, i) => {
    if (re.test(line)) writes.push({ line: i + 1, text: line.trim() });
  });
  return writes;
}

/**
 * Core functions the shell may call: step() and readers. Any other core
 * function changes state in place, so calling it from outside src/core
 * would be a second writer (as SENTINEL MONITOR / REMOVE / RESET once were).
 */
export const SHELL_CALLABLE_CORE = new Set([
  'step', 'stateFromConfig', 'configFromState', 'seededRandom', 'settingsFromConfig',
  'instanceDetails', 'currentMasterAddress', 'quorumStatus', 'shownHost', 'formatAddr', 'linkKey',
  'parseInfo', 'classifyPingReply', 'parseHello', 'isValidRunId', 'HELLO_CHANNEL', 'DEBUG_PARAMS',
  'defaultTiming', 'failoverInProgress', 'promotedReplica', 'isIpLiteral', 'sameHost', 'CoreError',
  'ImpossibleTransition', 'sentinelEvent',
]);

/** Value names imported from src/core that are not in SHELL_CALLABLE_CORE. */
export function findCoreMutatorImports(source: string): string[] {
  const bad: string[] = [];
  const re = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"][./]*core\/[\w]+\.js['"]/g;
  for (const m of source.matchAll(re)) {
    if (m[1]) continue;
    for (const part of m[2]!.split(',')) {
      const name = part.trim();
      if (name === '' || name.startsWith('type ')) continue;
      const local = name.split(/\s+as\s+/)[0]!.trim();
      if (!SHELL_CALLABLE_CORE.has(local)) bad.push(local);
    }
  }
  return bad;
}
