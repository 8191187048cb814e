/**
 * Network partitions between processes that all listen on 127.0.0.1, with
 * iptables: each process runs as its own uid (ProcHandle uid option), and a
 * cut drops, on OUTPUT of `lo`, every TCP packet a process of one side sends
 * to a listening port of the other side. That covers connections opened in
 * either direction (one direction of each flow is dropped, so TCP stalls) and
 * flows already established: no conntrack state is consulted. Every rule
 * carries a comment naming this test process, and healAll() (afterAll)
 * deletes whatever is left of them.
 */
import { execFileSync } from 'node:child_process';

/** A process as iptables sees it: the uid it runs as, the port it listens on. */
export interface Endpoint {
  readonly uid: number;
  readonly port: number;
}

const TAG = `tss-partition-${process.pid}`;

/** Why partitions cannot run here, or undefined if they can. */
export function partitionUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (iptables and per-process uids)';
  try {
    execFileSync('iptables', ['-w', '-L', 'OUTPUT', '-n'], { stdio: 'pipe' });
  } catch (err) {
    return `iptables does not work here: ${String(err).split('\n')[0]}`;
  }
  return undefined;
}

function ruleArgs(from: Endpoint, to: readonly Endpoint[]): string[] {
  return [
    'OUTPUT', '-o', 'lo', '-p', 'tcp', '-m', 'owner', '--uid-owner', String(from.uid),
    '-m', 'multiport', '--dports', to.map((e) => e.port).join(','),
    '-m', 'comment', '--comment', TAG, '-j', 'DROP',
  ];
}

/** Cuts every TCP flow between side a and side b. Returns the heal function. */
export function cut(a: readonly Endpoint[], b: readonly Endpoint[]): () => void {
  const rules = [...a.map((e) => ruleArgs(e, b)), ...b.map((e) => ruleArgs(e, a))];
  const added: string[][] = [];
  try {
    for (const r of rules) {
      execFileSync('iptables', ['-w', '-I', ...r], { stdio: 'pipe' });
      added.push(r);
    }
  } catch (err) {
    for (const r of added) execFileSync('iptables', ['-w', '-D', ...r], { stdio: 'pipe' });
    throw err;
  }
  let healed = false;
  return () => {
    if (healed) return;
    healed = true;
    for (const r of added) execFileSync('iptables', ['-w', '-D', ...r], { stdio: 'pipe' });
  };
}

/** Deletes every rule this test process added and did not delete yet. */
export function healAll(): void {
  if (partitionUnavailable() !== undefined) return;
  const listing = execFileSync('iptables', ['-w', '-S', 'OUTPUT'], { encoding: 'utf8' });
  for (const line of listing.split('\n')) {
    if (!line.includes(TAG)) continue;
    const args = line.replace(/^-A /, '').split(' ').map((a) => a.replace(/^"|"$/g, ''));
    execFileSync('iptables', ['-w', '-D', ...args], { stdio: 'pipe' });
  }
}
