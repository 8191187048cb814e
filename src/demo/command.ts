import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';

/**
 * `tssentinel demo [options]`. Dispatched by src/cli.ts before its own
 * parser: a commander subcommand there would turn the top-level <config>
 * argument into an "unknown command".
 */

const DEFAULT_REDIS_SERVER = '/usr/bin/redis-server';
const DEFAULT_REFRESH_MS = 500;

const HELP_AFTER = `
Starts, in a fresh temp dir, redis-server (master + 2 replicas, no persistence)
and 3 tssentinels (quorum 2, down-after-milliseconds 1000, failover-timeout
10000) on free ports below 32768, then shows who is master (ROLE), each
Sentinel's view and a timeline of the events they publish.

Keys (when stdin is a terminal):
  k  kill -9 the current master     r  restart the killed master (it comes back as a replica)
  f  SENTINEL FAILOVER mymaster     c  SENTINEL FAILOVER mymaster COORDINATED (no write lost)
  q  quit (Ctrl-C too)

At the end every process is stopped by its PID, the temp dir removed (unless
--keep) and one line printed: DEMO RESULT {"ok":...,"oldMaster":...,
"newMaster":...,"agreed":...,"pids":[...],"events":[...]}.
Exit code: 0 when all Sentinels agree on a master whose ROLE is master (with
--kill-after: and it is not the killed one), 1 otherwise, 128+n on signal n.

Without a terminal on stdin (a script, CI), --kill-after implies
--exit-after-failover: the run ends with its verdict instead of watching
forever.

Example (CI): tssentinel demo --kill-after 3
`;

interface RawOptions {
  killAfter?: number;
  exitAfter?: number;
  exitAfterFailover?: boolean;
  keep?: boolean;
  redisServer: string;
  refreshMs: number;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
}

function refreshMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 50) throw new InvalidArgumentError('expected an integer >= 50');
  return n;
}

export function buildDemoProgram(): Command {
  return new Command()
    .name('tssentinel demo')
    .description('Live local playground: a master, 2 replicas and 3 tssentinels on 127.0.0.1')
    .addHelpText('after', HELP_AFTER)
    .option('--kill-after <seconds>', 'kill -9 the master this long after everything is up', positiveNumber)
    .option('--exit-after <seconds>', 'quit this long after start', positiveNumber)
    .option('--exit-after-failover', 'quit 3 s after a failover completed (60 s after the kill at most, unless --exit-after)')
    .option('--keep', 'keep the temp dir with the configs and logs')
    .option('--redis-server <path>', 'redis-server binary', process.env['REDIS_SERVER_BIN'] ?? DEFAULT_REDIS_SERVER)
    .option('--refresh-ms <ms>', 'status refresh period', refreshMs, DEFAULT_REFRESH_MS)
    .helpOption('-h, --help')
    .allowExcessArguments(false);
}

/** Runs the demo to its end and exits the process with its exit code. */
export async function runDemoCommand(args: readonly string[]): Promise<void> {
  const program = buildDemoProgram();
  program.parse([...args], { from: 'user' });
  const o = program.opts<RawOptions>();
  const code = await runDemo(
    {
      killAfterS: o.killAfter,
      exitAfterS: o.exitAfter,
      // Nobody can press q in a scripted run: end after the failover verdict.
      exitAfterFailover: o.exitAfterFailover === true || (o.killAfter !== undefined && process.stdin.isTTY !== true),
      keep: o.keep === true,
      redisServerBin: o.redisServer,
      refreshMs: o.refreshMs,
    },
    { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  );
  process.exit(code);
}
