/**
 * Wires one Sentinel process: config -> runtime -> RESP server. Used by the
 * CLI and by tests that want a Sentinel in-process.
 */
import { accessSync, constants, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from './log.js';
import { bytesToText } from './byteText.js';
import { parseConfig, removeStaleTempFiles } from './config/index.js';
import type { SentinelConfig } from './config/model.js';
import { registerSentinelCommands } from './commands/register.js';
import { HELLO_CHANNEL } from './core/hello.js';
import { instanceDetails } from './core/details.js';
import { createLogger, drainLogger } from './log.js';
import { Runtime, errorMessage } from './runtime.js';
import { ListenError } from './server/listeners.js';
import { RespServer } from './server/server.js';
import { Acl, AclStartupError } from './server/acl.js';
import { registerBuiltins } from './server/builtins.js';
import { ScriptRunner } from './scripts/runner.js';
import type { TlsSetup } from './tls.js';
import { strerror, helloPort, reportedPort, TlsConfigError, tlsPort, tlsRequired } from './tlsSettings.js';
import { resolveConfigHosts } from './resolve.js';
import type { Server } from 'node:http';
import { LIMIT_DIRECTIVES, serverLimitsFrom } from './server/limits.js';
import { isExecutable } from './scripts/executable.js';

/** At exit, queued log lines get this long to leave (a full pipe must not hold the exit). */
const LOG_DRAIN_MS = 500;

export class StartupError extends Error {
  override readonly name = 'StartupError';

  /** True once the message went to the Sentinel's log (the logfile, or stdout), as Redis serverLog()s it. */
  constructor(message: string, readonly logged = false) {
    super(message);
  }
}

export interface LoadedConfig {
  path: string;
  text: string;
  config: SentinelConfig;
}

/** Reads, parses and checks the config the way redis-sentinel refuses bad ones. */
export function loadConfig(path: string | undefined, overrides: string[][]): LoadedConfig {
  if (path === undefined || path.length === 0) {
    throw new StartupError('Sentinel needs config file on disk to save state. Exiting...');
  }
  const abs = resolve(path);
  if (!existsSync(abs)) throw new StartupError(`Fatal error, can't open config file '${abs}': No such file or directory`);
  let text: string;
  try {
    // As bytes (./byteText.ts): a value that is not UTF-8 (a password written by redis-sentinel) loads exactly.
    text = bytesToText(readFileSync(abs));
  } catch (err) {
    throw new StartupError(`Fatal error, can't open config file '${abs}': ${errorMessage(err)}`);
  }
  // The path is made absolute before `dir` moves us, so the rewrite still finds the file.
  const config = parseConfig(text, { overrides, readInclude, chdir: changeDir, isExecutable });
  // Redis's rewrite writes `dir` as getcwd() prints it.
  if (config.dir !== undefined) config.dir = process.cwd();
  return { path: abs, text, config };
}

/** An `include` line: the file is read as Redis does, relative to the working directory. */
function readInclude(path: string): string {
  try {
    return bytesToText(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'No such file or directory' : code === 'EISDIR' ? 'Is a directory' : errorMessage(err);
    throw new StartupError(`Fatal error, can't open config file '${path}': ${reason}`);
  }
}

/**
 * Redis chdir()s into `dir` while loading, so that scripts, logfile, pidfile,
 * aclfile, TLS files and the scripts' working directory all follow it.
 */
function changeDir(dir: string): string | undefined {
  try {
    process.chdir(dir);
    return undefined;
  } catch (err) {
    return strerror(err);
  }
}


/** sentinelCheckConfigFile(): the state is saved into the config, so it must be writable. */
export function checkConfigWritable(path: string): void {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
  } catch (err) {
    throw new StartupError(`Sentinel config file ${path} is not writable: ${errorMessage(err)}. Exiting...`);
  }
}

export interface SentinelProcess {
  runtime: Runtime;
  server: RespServer;
  logger: Logger;
  /** Flushes the config, closes links and the listener. */
  shutdown(): Promise<void>;
}

/**
 * Starts the Sentinel. A start-up failure past the config's parsing is
 * logged, one line each, as Redis serverLog()s them: to the `logfile` when
 * there is one (and nothing on the terminal), to stdout otherwise; the
 * StartupError rethrown is marked logged.
 */
export async function startSentinel(loaded: LoadedConfig, logger?: Logger): Promise<SentinelProcess> {
  const { config } = loaded;
  const log = logger ?? createLogger({ logfile: config.logfile, loglevel: config.loglevel, logformat: config.logformat });
  try {
    return await startSteps(loaded, log);
  } catch (err) {
    if (!(err instanceof StartupError) || err.logged) throw err;
    for (const line of err.message.split('\n')) log.warn(line);
    await drainLogger(log, LOG_DRAIN_MS);
    throw new StartupError(err.message, true);
  }
}

async function startSteps(loaded: LoadedConfig, log: Logger): Promise<SentinelProcess> {
  const { config } = loaded;
  checkConfigWritable(loaded.path);
  // A name that does not resolve yet (DNS is often not up at boot) stays a
  // name: links resolve it at each connect, as Redis keeps retrying.
  await resolveConfigHosts(config, (host) => log.warn(`Failed to resolve hostname '${host}'`));
  logIgnoredDirectives(config, log);
  for (const name of removeStaleTempFiles(loaded.path)) log.info(`Removed a temp file left by an interrupted config save: ${name}`);
  const tls = await setUpTls(config);
  const acl = loadAcl(config, log);
  const server = new RespServer({
    port: config.port,
    plain: config.port !== 0,
    tls: tls?.listener,
    bind: config.bind,
    maxClients: config.maxclients,
    requirePass: config.requirepass,
    protectedMode: config.protectedMode,
    acl,
    logger: log,
    limits: serverLimitsFrom(config.ignored),
  });
  let runtimeRef: Runtime | undefined;
  const scripts = new ScriptRunner((channel, message, level) => {
    runtimeRef?.emitEvent(channel, message, level);
  });
  const runtime = new Runtime({
    scripts,
    configPath: loaded.path,
    configText: loaded.text,
    config,
    logger: log,
    publish: (channel, message) => { server.publish(channel, message); },
    linkTls: tls?.links,
    helloPort: helloPort(config),
  });
  runtimeRef = runtime;
  syncConfigUsers(acl, config, runtime, log);
  const generatedId = config.myid === undefined;
  // A new myid must reach the disk before we talk to anyone under it.
  if (generatedId) runtime.persistSync();
  let metricsRef: Server | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= shutdownSentinel(runtime, server, config, log).finally(() => {
    scripts.stop();
    metricsRef?.close();
  }));
  registerBuiltins(server);
  registerSentinelCommands(server, runtime, { configPath: loaded.path, port: reportedPort(config) });
  server.onHelloPublish = (channel, message) => {
    if (channel === HELLO_CHANNEL) runtime.receiveHello(message);
    return 1;
  };
  server.onShutdown = shutdown;
  await server.listen().catch((err: unknown) => {
    throw err instanceof ListenError ? new StartupError(err.message) : err;
  });
  writePidfile(config.pidfile, log);
  log.info(`Running mode=sentinel, port=${reportedPort(config)}.`);
  log.info(`Sentinel ID is ${runtime.state.myId}`);
  for (const m of runtime.state.masters.values()) {
    runtime.emitEvent('+monitor', `${instanceDetails(m)} quorum ${m.config.quorum}`, 'warning', m.name);
  }
  const metricsServer = config.metricsPort > 0 ? await startMetrics(runtime, server, config) : undefined;
  if (metricsServer) log.info(`Prometheus metrics on http://${config.metricsBind}:${config.metricsPort}/metrics`);
  metricsRef = metricsServer;
  runtime.start();
  return { runtime, server, logger: log, shutdown };
}

/** prom-client costs ~14 MB of RSS once loaded: imported only when `metrics-port` asks for it. */
async function startMetrics(runtime: Runtime, server: RespServer, config: SentinelConfig): Promise<Server> {
  const { SentinelMetrics } = await import('./metrics/metrics.js');
  return new SentinelMetrics(runtime, server).listen(config.metricsPort, config.metricsBind).catch((err: unknown) => {
    throw new StartupError(`Could not start the metrics listener on ${config.metricsBind}:${config.metricsPort}: ${errorMessage(err)}`);
  });
}

/** Server directives the ACL honours (loadAcl), kept by the parser with the unused ones. */
const ACL_DIRECTIVES: ReadonlySet<string> = new Set(['acl-pubsub-default', 'acllog-max-len']);

/**
 * Directives redis-server has and a Sentinel accepts, but tssentinel does not
 * use: said once at start. The parser keeps the client limits and the ACL
 * settings with them (a rewrite writes them back as they were); those are
 * honoured, so not listed.
 */
function logIgnoredDirectives(config: SentinelConfig, log: Logger): void {
  for (const d of config.ignored) {
    if (LIMIT_DIRECTIVES.has(d.directive) || ACL_DIRECTIVES.has(d.directive)) continue;
    const where = d.line === 0 ? 'command line' : `line ${d.line}`;
    log.info(`Config directive '${d.directive}' (${where}) is accepted for compatibility and not used by tssentinel`);
  }
}

/** ACLLoadUsersAtStartup: requirepass, `user` lines, aclfile; a bad set stops the start. */
function loadAcl(config: SentinelConfig, log: Logger): Acl {
  // Server directives the config parser keeps aside; the last one wins, as in redis.conf.
  const last = (name: string): string | undefined => config.ignored.filter((d) => d.directive === name).pop()?.args[0];
  const pubsubDefault = last('acl-pubsub-default');
  const logMaxLen = /^\d+$/.test(last('acllog-max-len') ?? '') ? Number(last('acllog-max-len')) : undefined;
  try {
    return Acl.fromConfig({
      requirePass: config.requirepass,
      users: config.users,
      aclFile: config.aclfile,
      pubsubAllChannels: pubsubDefault?.toLowerCase() === 'allchannels',
      logMaxLen,
      logger: log,
    });
  } catch (err) {
    if (err instanceof AclStartupError) throw new StartupError(err.message);
    throw err;
  }
}

/**
 * Like Redis's config rewrite, the `user` lines written back are the live
 * users (ACL SETUSER ones included, the default user too), unless an aclfile
 * holds them. Unlike redis-sentinel, which writes them only with the next
 * unrelated config flush (and loses them on a restart before that), a change
 * is written before the ACL command replies: what was accepted survives.
 */
function syncConfigUsers(acl: Acl, config: SentinelConfig, runtime: Runtime, log: Logger): void {
  if (config.aclfile !== undefined) return;
  acl.onUsersChanged = () => {
    config.users = acl.configLines();
    try {
      runtime.persistSync();
    } catch (err) {
      log.warn(`WARNING: Sentinel was not able to save the new configuration on disk!!!: ${errorMessage(err)}`);
    }
  };
  config.users = acl.configLines();
}

/**
 * Redis's tlsConfigure() at start-up, then its check that something listens.
 * tls.ts (and node:tls with it) is loaded only when a tls-* directive needs it.
 */
async function setUpTls(config: SentinelConfig): Promise<TlsSetup | undefined> {
  let setup: TlsSetup | undefined;
  try {
    setup = tlsRequired(config) ? (await import('./tls.js')).buildTlsSetup(config) : undefined;
  } catch (err) {
    if (err instanceof TlsConfigError) throw new StartupError(err.message);
    throw err;
  }
  if (config.port === 0 && tlsPort(config) === 0) throw new StartupError('Configured to not listen anywhere, exiting.');
  return setup;
}

async function shutdownSentinel(runtime: Runtime, server: RespServer, config: SentinelConfig, log: Logger): Promise<void> {
  log.warn('User requested shutdown...');
  await runtime.stop();
  try {
    runtime.persistSync();
  } catch (err) {
    log.warn(`WARNING: Sentinel was not able to save the new configuration on disk!!!: ${errorMessage(err)}`);
  }
  await server.close();
  if (config.pidfile) {
    try { unlinkSync(config.pidfile); } catch { /* already gone */ }
  }
  log.warn('Sentinel is now ready to exit, bye bye...');
  await drainLogger(log, LOG_DRAIN_MS);
}

function writePidfile(path: string | undefined, log: Logger): void {
  if (!path) return;
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (err) {
    log.warn(`Failed to write PID file: ${errorMessage(err)}`);
  }
}
