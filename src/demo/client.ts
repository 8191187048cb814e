import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis clients for the demo's own queries. Unlike the Sentinel's links,
 * these may reconnect on their own (a restarted master should reappear in
 * the view), but they never queue a command for a dead server: a query to a
 * killed process fails at once and shows as "down".
 */

export const HOST = '127.0.0.1';
export const COMMAND_TIMEOUT_MS = 1_000;
const RECONNECT_MS = 250;

/** Options shared by the demo's links: fail fast, reconnect every 250 ms. */
function demoClient(port: number, extra: Partial<RedisOptions>): Redis {
  const client = new Redis({
    host: HOST,
    port,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => RECONNECT_MS,
    connectTimeout: COMMAND_TIMEOUT_MS,
    ...extra,
  });
  client.on('error', () => undefined);
  return client;
}

export function queryClient(port: number): Redis {
  return demoClient(port, { commandTimeout: COMMAND_TIMEOUT_MS, connectionName: 'tssentinel-demo' });
}

/** Like queryClient, without a command timeout: a subscriber waits for messages. */
export function subscriberClient(port: number): Redis {
  return demoClient(port, {});
}

/**
 * PING answered, and INFO server's process_id is the given PID: a process
 * that grabbed the same port must not pass for the one we started.
 */
export async function pingOwnProcess(port: number, pid: number): Promise<true | string> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: COMMAND_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong = await client.call('PING');
    if (pong !== 'PONG') return `PING replied ${String(pong)}`;
    const info = await client.call('INFO', 'server');
    const reported = infoFields(String(info))['process_id'];
    if (reported !== undefined && Number(reported) !== pid) return `port ${port} is served by pid ${reported}, not ${pid}`;
    return true;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    client.disconnect();
  }
}

/** `key:value` lines of an INFO reply (section headers and blanks skipped). */
export function infoFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** `name=mymaster,status=ok,address=...` (INFO sentinel's masterN value). */
export function commaFields(value: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return fields;
}

/** A flat [field, value, field, value, ...] reply (SENTINEL MASTER) as a record. */
export function pairsToRecord(reply: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(reply)) return record;
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
