#!/usr/bin/env -S node --max-semi-space-size=1
// The shebang's --max-semi-space-size=1 keeps V8's young generation small: a
// Sentinel allocates little but steadily, and the default lets RSS grow by
// ~100 KB per monitored master before collecting (bench/scale.sh).
/**
 * tssentinel <config> [--port N] [--<directive> value ...] [--sentinel]
 *
 * Overrides work like redis-server's: every `--name v1 v2` after the config
 * file becomes the config line `name v1 v2`, applied after the file.
 */
import './heapFlags.js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from './config/index.js';
import { StartupError, checkConfigWritable, loadConfig, startSentinel, type SentinelProcess } from './app.js';
import { errorMessage } from './runtime.js';

const VERSION = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/** Splits redis-server style `--name value...` tokens into config lines. */
export function parseOverrides(tokens: readonly string[]): string[][] {
  const lines: string[][] = [];
  for (const token of tokens) {
    if (token.startsWith('--')) {
      const name = token.slice(2);
      // `--sentinel` selects sentinel mode in redis-server; we always are one.
      if (name === 'sentinel' || name === 'test-config') continue;
      lines.push([name]);
    } else if (lines.length > 0) {
      lines[lines.length - 1]!.push(token);
    } else {
      throw new StartupError(`Unexpected argument '${token}': overrides look like --<directive> <value>`);
    }
  }
  return lines;
}

function buildProgram(): Command {
  return new Command()
    .name('tssentinel')
    .description('A Redis Sentinel written in TypeScript (drop-in replacement for redis-sentinel)')
    .version(`tssentinel ${VERSION} (redis-sentinel 7.0 compatible)`, '-v, --version')
    .argument('<config>', 'sentinel.conf path (state is persisted back into it)')
    .argument('[overrides...]', 'redis-server style overrides: --port 26380 --loglevel debug ...')
    .option('--test-config', 'validate the config file and exit')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption('-h, --help')
    .addHelpText('after', '\nAlso:\n  tssentinel demo [options]  live local playground: master, 2 replicas, 3 Sentinels (tssentinel demo --help)');
}

async function main(argv: string[]): Promise<void> {
  // `demo` is dispatched before commander: a subcommand on this program would
  // make its <config> argument an unknown command. (A config file named
  // "demo" is still reachable as ./demo.)
  if (argv[2] === 'demo') {
    const { runDemoCommand } = await import('./demo/command.js');
    return runDemoCommand(argv.slice(3));
  }
  const program = buildProgram();
  program.parse(argv);
  const [configPath, ...rest] = program.args;
  const overrides = parseOverrides(rest);
  // loadConfig chdir()s into `dir`; a daemonized child re-reads argv from where we started.
  const startCwd = process.cwd();
  const loaded = loadConfig(configPath, overrides);
  if (program.opts<{ testConfig?: boolean }>().testConfig || argv.includes('--test-config')) {
    checkConfigWritable(loaded.path);
    process.stdout.write(`Configuration test passed: ${loaded.path}\n`);
    return;
  }
  if (loaded.config.daemonize && process.env.TSSENTINEL_DAEMONIZED !== '1') {
    // Checked before detaching, as Redis does, so that the terminal hears of it.
    checkConfigWritable(loaded.path);
    daemonize(argv, startCwd);
    return;
  }
  const proc = await startSentinel(loaded);
  installSignalHandlers(proc);
  installSafetyNet(proc);
}

/**
 * Last line of defence: the server guards every client callback, but an
 * exception escaping anywhere else must not take a Sentinel (and its votes)
 * down either. Log it loudly with its stack and keep serving.
 */
function installSafetyNet(proc: SentinelProcess): void {
  process.on('uncaughtException', (err) => {
    proc.logger.error({ err }, `Uncaught exception (kept running): ${errorMessage(err)}`);
  });
  process.on('unhandledRejection', (reason) => {
    proc.logger.error({ err: reason }, `Unhandled promise rejection (kept running): ${errorMessage(reason)}`);
  });
}

/** Node cannot fork(): re-run ourselves detached, as redis-server's daemonize does. */
function daemonize(argv: string[], cwd: string): void {
  const child = spawn(process.execPath, argv.slice(1), {
    cwd,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, TSSENTINEL_DAEMONIZED: '1' },
  });
  child.unref();
}

function installSignalHandlers(proc: SentinelProcess): void {
  const stop = (signal: string) => {
    proc.logger.warn(`Received ${signal} scheduling shutdown...`);
    proc.shutdown().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`shutdown failed: ${errorMessage(err)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  proc.server.onShutdown = async () => {
    await proc.shutdown();
    setImmediate(() => process.exit(0));
  };
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof StartupError && err.logged) {
    // Already in the log, where Redis writes it.
  } else if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Fatal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  }
  process.exit(1);
});
