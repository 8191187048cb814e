/**
 * The pub/sub link is the core's to watch: a half-open pub/sub connection
 * (the peer stopped answering, the socket still open) hears no hello, and
 * after 3 hello periods without a message the Sentinel drops it and
 * subscribes anew, as redis-sentinel does. A TCP proxy between the Sentinel
 * and the master blackholes the pub/sub connection's bytes both ways while
 * the command connection keeps working.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

interface Proxied {
  client: net.Socket;
  server: net.Socket;
  /** Seen CLIENT SETNAME ...-pubsub in what the Sentinel sent. */
  pubsub: boolean;
  stalled: boolean;
}

/** Forwards every connection to `targetPort`; stallPubsub() silences the pub/sub ones open now. */
class TcpProxy {
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly connections: Set<Proxied>,
  ) {}

  /** `replyDelayMs`: every byte from the server reaches the Sentinel that much later (a slow network or server). */
  static async start(targetPort: number, replyDelayMs = 0): Promise<TcpProxy> {
    const port = await freePort();
    const conns = new Set<Proxied>();
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
      const c: Proxied = { client, server: upstream, pubsub: false, stalled: false };
      conns.add(c);
      let head = '';
      client.on('data', (chunk: Buffer) => {
        if (!c.pubsub && head.length < 4096) {
          head += chunk.toString('latin1');
          if (head.includes('-pubsub')) c.pubsub = true;
        }
        if (!c.stalled) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (c.stalled) return;
        if (replyDelayMs === 0) client.write(chunk);
        else setTimeout(() => client.destroyed || client.write(chunk), replyDelayMs);
      });
      const end = () => {
        conns.delete(c);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new TcpProxy(server, port, conns);
  }

  pubsubConnections(): Proxied[] {
    return [...this.connections].filter((c) => c.pubsub);
  }

  /** Half-open from the Sentinel's side: the socket stays, no byte passes. */
  stallPubsub(): Proxied[] {
    const stalled = this.pubsubConnections().filter((c) => !c.stalled);
    for (const c of stalled) c.stalled = true;
    return stalled;
  }

  close(): void {
    for (const c of this.connections) {
      c.client.destroy();
      c.server.destroy();
    }
    this.server.close();
  }
}

const PEER_RUNID = 'f'.repeat(40);

async function peerRunIds(sentinel: ProcHandle): Promise<string[]> {
  const v = toPlain(await call(sentinel.port, 'SENTINEL', 'SENTINELS', 'mymaster'));
  if (!Array.isArray(v)) throw new Error(`SENTINELS: ${JSON.stringify(v)}`);
  return v.map((p) => {
    const fields = p as string[];
    return fields[fields.indexOf('runid') + 1] ?? '';
  });
}

async function masterFlags(sentinel: ProcHandle): Promise<string> {
  const fields = toPlain(await call(sentinel.port, 'SENTINEL', 'MASTER', 'mymaster')) as string[];
  return fields[fields.indexOf('flags') + 1] ?? '';
}

describe('links: a half-open pub/sub connection', () => {
  let master: ProcHandle;
  let proxy: TcpProxy;
  let ts: ProcHandle;

  beforeAll(async () => {
    master = await startRedis();
    proxy = await TcpProxy.start(master.port);
    ts = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${proxy.port} 2\n`
      + 'sentinel down-after-milliseconds mymaster 60000\n');
    // Redis drops a silent pub/sub connection only once it lived the minimum
    // reconnect period (15 s): shortened so the test does not wait for it.
    await call(ts.port, 'SENTINEL', 'DEBUG', 'MIN-LINK-RECONNECT-PERIOD', '1000');
  });

  afterAll(async () => {
    proxy?.close();
    await stopAll();
  });

  it('is dropped and re-subscribed by the Sentinel, which then hears hellos again; the command link keeps working', async () => {
    await waitFor(() => proxy.pubsubConnections().length === 1, { what: 'the pub/sub connection through the proxy' });
    const stalled = proxy.stallPubsub();
    expect(stalled).toHaveLength(1);

    // A peer's hello on the master's channel: lost on the stalled
    // connection, heard once the Sentinel subscribed again.
    const hello = `127.0.0.1,1,${PEER_RUNID},0,mymaster,127.0.0.1,${proxy.port},0`;
    await waitFor(async () => {
      await call(master.port, 'PUBLISH', '__sentinel__:hello', hello);
      return (await peerRunIds(ts)).includes(PEER_RUNID);
    }, { what: 'the Sentinel to learn the peer from its hello', timeoutMs: 30_000, intervalMs: 500 });

    expect(proxy.pubsubConnections().some((c) => !c.stalled)).toBe(true);
    // The stalled connection was closed by the Sentinel, not left open beside the new one.
    await waitFor(() => !proxy.connections.has(stalled[0]!), { what: 'the stalled connection to be closed' });
    expect(await masterFlags(ts)).toBe('master');
  });
});

describe('links: a master whose every reply takes longer than the ping period', () => {
  let master: ProcHandle;
  let proxy: TcpProxy;
  let ts: ProcHandle;

  beforeAll(async () => {
    master = await startRedis();
    // 1.5 s: the connection's first reply (CLIENT SETNAME, SUBSCRIBE) comes
    // after the next reconnect attempt would be due (1 s).
    proxy = await TcpProxy.start(master.port, 1_500);
    ts = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${proxy.port} 2\n`
      + 'sentinel down-after-milliseconds mymaster 10000\n');
  });

  afterAll(async () => {
    proxy?.close();
    await stopAll();
  });

  it('is connected and subscribed: an attempt under way is not replaced every second', async () => {
    // Before, each attempt was closed by the next one a second later, so a
    // slow handshake never finished (5,000 masters on a loaded machine).
    await waitFor(async () => {
      const fields = toPlain(await call(ts.port, 'SENTINEL', 'MASTER', 'mymaster')) as string[];
      const get = (k: string) => fields[fields.indexOf(k) + 1];
      return get('flags') === 'master' && get('role-reported') === 'master' && Number(get('info-refresh')) > 0;
    }, { what: 'the master link up and its INFO received', timeoutMs: 20_000, intervalMs: 250 });
    await waitFor(() => proxy.pubsubConnections().length >= 1, { what: 'the pub/sub connection' });
    // The Sentinel's own hello comes back on its subscription: proof that
    // SUBSCRIBE completed. Each hello costs a reply, so look for the
    // connection count to stay at one command and one pub/sub connection.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(proxy.connections.size).toBe(2);
    expect(await masterFlags(ts)).toBe('master');
  });
});
