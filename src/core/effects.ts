/**
 * What the core asks the shell to do. The runtime executes effects in the
 * order they are returned; a `persist` always precedes the replies and
 * messages that depend on it.
 */
export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** Identifies the instance a request was made for, so its reply finds it again. */
export interface InstanceRef {
  master: string;
  kind: 'master' | 'slave' | 'sentinel';
  name: string;
}

export type Effect =
  | { type: 'connect'; link: string }
  | { type: 'disconnect'; link: string }
  | { type: 'ping'; link: string }
  | { type: 'info'; link: string; target: InstanceRef }
  | { type: 'publishHello'; link: string; payload: string }
  | { type: 'event'; level: LogLevel; channel: string; message: string; master?: string }
  | { type: 'persist' };

export function sentinelEvent(
  level: LogLevel,
  channel: string,
  message: string,
  master?: string,
): Effect {
  return master === undefined
    ? { type: 'event', level, channel, message }
    : { type: 'event', level, channel, message, master };
}
