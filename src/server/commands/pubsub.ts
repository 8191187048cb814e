/** (P)SUBSCRIBE, (P)UNSUBSCRIBE and PUBLISH (only to the hello channel, as redis-sentinel). */
import { NO_REPLY, NULL, bulk, error, int, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';

const HELLO_CHANNEL = '__sentinel__:hello';

type SubKind = 'subscribe' | 'psubscribe';
type UnsubKind = 'unsubscribe' | 'punsubscribe';

/** Confirmations are pushes: arrays under RESP2, `>` under RESP3, like Redis. */
function pubsubReply(kind: string, target: string | undefined, count: number): Reply {
  return { kind: 'push', items: [bulk(kind), target === undefined ? NULL : bulk(target), int(count)] };
}

export function subscribeAll(s: RespServer, c: Client, argv: readonly string[], kind: SubKind): Reply {
  for (const target of argv.slice(1)) {
    if (kind === 'subscribe') s.pubsub.subscribe(c, target);
    else s.pubsub.psubscribe(c, target);
    s.send(c, pubsubReply(kind, target, c.subscriptionCount));
  }
  return NO_REPLY;
}

export function unsubscribeAll(s: RespServer, c: Client, argv: readonly string[], kind: UnsubKind): Reply {
  const current = kind === 'unsubscribe' ? c.channels : c.patterns;
  const targets = argv.length > 1 ? argv.slice(1) : [...current];
  for (const target of targets) {
    if (kind === 'unsubscribe') s.pubsub.unsubscribe(c, target);
    else s.pubsub.punsubscribe(c, target);
    s.send(c, pubsubReply(kind, target, c.subscriptionCount));
  }
  if (targets.length === 0) s.send(c, pubsubReply(kind, undefined, c.subscriptionCount));
  return NO_REPLY;
}

export function publish(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  // Sentinel's PUBLISH only takes peers' hellos; it never reaches its own subscribers.
  if (argv[1] !== HELLO_CHANNEL) return error('ERR Only HELLO messages are accepted by Sentinel instances.');
  return int(s.onHelloPublish?.(argv[1], argv[2] as string) ?? 1);
}
