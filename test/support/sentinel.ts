/**
 * Small helpers shared by the integration tests that talk to Sentinels:
 * one-shot commands, SENTINEL MASTER as a record, and an event log that
 * PSUBSCRIBEs to everything a Sentinel publishes.
 */
import type { ProcHandle } from './procs.js';
import { RawClient, toPlain, toRecord, type Plain, type RespValue } from './resp.js';
import { waitFor } from './wait.js';

/** One command on a fresh connection. */
export async function call(port: number, ...args: string[]): Promise<RespValue> {
  const client = await RawClient.connect(port, { timeoutMs: 2_000 });
  try {
    return await client.call(...args);
  } finally {
    await client.close();
  }
}

export async function masterInfo(sentinel: ProcHandle, name = 'mymaster'): Promise<Record<string, Plain>> {
  return toRecord(await call(sentinel.port, 'SENTINEL', 'MASTER', name));
}

export interface SentinelEvent {
  readonly channel: string;
  readonly message: string;
  /** performance.now() when it arrived. */
  readonly atMs: number;
}

const openLogs = new Set<EventLog>();

/** Closes every EventLog still open (call in afterAll). */
export async function closeEventLogs(): Promise<void> {
  await Promise.all([...openLogs].map((log) => log.close()));
}

/**
 * PSUBSCRIBE * on one Sentinel, collecting every event in the background, so
 * a test can ask later what was published and in which order.
 */
export class EventLog {
  readonly events: SentinelEvent[] = [];

  private constructor(
    private readonly client: RawClient,
    readonly label: string,
  ) {}

  static async open(sentinel: ProcHandle, label: string): Promise<EventLog> {
    const client = await RawClient.connect(sentinel.port);
    const reply = toPlain(await client.call('PSUBSCRIBE', '*'));
    if (JSON.stringify(reply) !== JSON.stringify(['psubscribe', '*', 1])) {
      throw new Error(`${label}: PSUBSCRIBE * replied ${JSON.stringify(reply)}`);
    }
    const log = new EventLog(client, label);
    openLogs.add(log);
    void log.pump();
    return log;
  }

  private async pump(): Promise<void> {
    for (;;) {
      let value: RespValue;
      try {
        value = await this.client.read(3_600_000);
      } catch {
        return; // Closed.
      }
      const p = toPlain(value);
      if (Array.isArray(p) && p[0] === 'pmessage') {
        this.events.push({ channel: String(p[2]), message: String(p[3]), atMs: performance.now() });
      }
    }
  }

  find(channel: string, message?: string | RegExp): SentinelEvent | undefined {
    return this.events.find(
      (e) =>
        e.channel === channel &&
        (message === undefined || (typeof message === 'string' ? e.message === message : message.test(e.message))),
    );
  }

  channels(): string[] {
    return this.events.map((e) => e.channel);
  }

  waitEvent(channel: string, message: string | RegExp | undefined, timeoutMs: number): Promise<SentinelEvent> {
    return waitFor(() => this.find(channel, message), {
      timeoutMs,
      intervalMs: 50,
      what: `${channel} ${message ?? ''} on ${this.label} (seen: ${this.channels().join(' ')})`,
    });
  }

  async close(): Promise<void> {
    openLogs.delete(this);
    await this.client.close();
  }
}
