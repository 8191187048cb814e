/** The Redis version we mimic in user-visible texts. */
export const REDIS_VERSION = '7.0.15';

/**
 * A config file Redis would refuse to start with. `message` is Redis's fatal
 * error block without its leading blank line; the CLI prints it to stderr
 * (after a "\n", as Redis does) and exits 1.
 */
export class ConfigError extends Error {
  /** 1-based line number; 0 for a command-line override. */
  readonly line: number;
  /** The offending line, trimmed like Redis prints it. */
  readonly lineText: string;
  /** Redis's reason text, e.g. "No such master with specified name." */
  readonly reason: string;

  constructor(line: number, lineText: string, reason: string) {
    super(
      `*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n` +
        `Reading the configuration file, at line ${line}\n` +
        `>>> '${lineText}'\n` +
        reason,
    );
    this.name = 'ConfigError';
    this.line = line;
    this.lineText = lineText;
    this.reason = reason;
  }
}

/** Which step of an atomic config write failed. */
export type ConfigWriteStep = 'open' | 'write' | 'fsync' | 'close' | 'rename' | 'fsync-dir';

/**
 * Persisting the config failed. The target file is untouched unless `step` is
 * 'fsync-dir' (the rename happened but may not be durable yet).
 */
export class ConfigWriteError extends Error {
  readonly step: ConfigWriteStep;
  readonly path: string;
  /** errno code of the cause (ENOSPC, EACCES, ...) when there is one. */
  readonly code: string | undefined;

  constructor(step: ConfigWriteStep, path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`config write failed at ${step} of ${path}: ${detail}`, { cause });
    this.name = 'ConfigWriteError';
    this.step = step;
    this.path = path;
    this.code = errnoCode(cause);
  }
}

function errnoCode(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return undefined;
  const code = (cause as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
