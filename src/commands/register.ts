/** Registers the Sentinel-specific commands (SENTINEL, INFO, ROLE) on the server. */
import type { Runtime } from '../runtime.js';
import { error } from '../server/reply.js';
import type { RespServer } from '../server/server.js';
import type { CommandSpec } from '../server/types.js';
import { infoCommand, roleReply, type InfoHost } from './info.js';
import { SENTINEL_SUBCOMMANDS } from './sentinel.js';
import { sentinelCommandSpecs } from './specs.js';

export function registerSentinelCommands(
  server: RespServer,
  rt: Runtime,
  opts: { configPath: string; port: number },
): void {
  const infoHost: InfoHost = { rt, configPath: opts.configPath, port: opts.port };
  const specs = sentinelCommandSpecs();
  const withHandlers = (spec: CommandSpec): CommandSpec => {
    if (spec.name === 'info') return { ...spec, handler: (ctx, argv) => infoCommand(infoHost, ctx, argv) };
    if (spec.name === 'role') return { ...spec, handler: () => roleReply(rt) };
    if (spec.name === 'sentinel') {
      return {
        ...spec,
        subcommands: (spec.subcommands ?? []).map((sub) => {
          const key = sub.name.split('|')[1] ?? '';
          const fn = SENTINEL_SUBCOMMANDS[key];
          return {
            ...sub,
            handler: fn
              ? (ctx, argv) => fn(rt, argv, ctx)
              : () => error(`ERR ${key.toUpperCase()} is not supported by this Sentinel yet`),
          };
        }),
      };
    }
    return spec;
  };
  for (const spec of specs) server.register(withHandlers(spec));
}
