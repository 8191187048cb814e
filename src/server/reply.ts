/**
 * A reply value, independent of the protocol version. The encoder turns it
 * into RESP2 or RESP3 bytes for one client: maps become flat arrays, sets
 * become arrays, null becomes a null bulk string ($-1) under RESP2, exactly
 * as redis-server does when it downgrades RESP3 replies.
 */
export type Reply =
  | { readonly kind: 'simple'; readonly value: string }
  | { readonly kind: 'error'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'bulk'; readonly value: string | Buffer }
  | { readonly kind: 'null' }
  | { readonly kind: 'nullArray' }
  | { readonly kind: 'array'; readonly items: readonly Reply[] }
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [Reply, Reply]> }
  | { readonly kind: 'set'; readonly items: readonly Reply[] }
  | { readonly kind: 'push'; readonly items: readonly Reply[] }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'verbatim'; readonly format: string; readonly value: string }
  /**
   * A map of bulk strings as a flat key, value, key, value... list: what
   * SENTINEL MASTERS sends for each instance, ~30 fields times a thousand
   * masters, without two reply objects and a tuple per field.
   */
  | { readonly kind: 'bulkMap'; readonly flat: readonly string[] }
  /** Bytes already encoded; sent as they are whatever the protocol. */
  | { readonly kind: 'raw'; readonly value: Buffer };

export const OK: Reply = { kind: 'simple', value: 'OK' };
export const NULL: Reply = { kind: 'null' };

export function simple(value: string): Reply {
  return { kind: 'simple', value };
}
/** `value` is the whole error line without the dash, e.g. `ERR No such master with that name`. */
export function error(value: string): Reply {
  return { kind: 'error', value };
}
export function int(value: number | bigint): Reply {
  return { kind: 'int', value };
}
export function bulk(value: string | Buffer): Reply {
  return { kind: 'bulk', value };
}
export function array(items: readonly Reply[]): Reply {
  return { kind: 'array', items };
}
export function bulkArray(items: readonly (string | Buffer)[]): Reply {
  return { kind: 'array', items: items.map(bulk) };
}
export function map(entries: ReadonlyArray<readonly [Reply, Reply]>): Reply {
  return { kind: 'map', entries };
}
/** A map of bulk-string field names to replies, in the given order. */
export function fieldMap(fields: ReadonlyArray<readonly [string, Reply]>): Reply {
  return { kind: 'map', entries: fields.map(([k, v]) => [bulk(k), v] as const) };
}
/** A map whose keys and values are all bulk strings (SENTINEL MASTERS style). */
export function stringMap(fields: ReadonlyArray<readonly [string, string]>): Reply {
  return { kind: 'map', entries: fields.map(([k, v]) => [bulk(k), bulk(v)] as const) };
}
export function verbatim(value: string, format = 'txt'): Reply {
  return { kind: 'verbatim', format, value };
}

/** A handler reply that sends nothing (SHUTDOWN: the connection just goes away). */
export const NO_REPLY: Reply = { kind: 'raw', value: Buffer.alloc(0) };
