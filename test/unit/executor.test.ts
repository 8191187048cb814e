/**
 * The effect executor shared by the runtime and the simulator: effects in
 * order, a sync persist on disk before what follows, discovery written
 * asynchronously and coalesced, an older async write never renamed over a
 * later sync one, and nothing revealed while a failed save left the state
 * only in memory.
 */
import { describe, expect, it } from 'vitest';
import type { Effect, InstanceRef } from '../../src/core/effects.js';
import type { CoreEvent } from '../../src/core/step.js';
import { ConfigWriter, type Disk } from '../../src/shell/configWriter.js';
import { EffectExecutor, type LinkOps } from '../../src/shell/executor.js';

const PEER: InstanceRef = { master: 'mymaster', kind: 'sentinel', name: 'peer' };

interface Harness {
  trace: string[];
  fed: CoreEvent[];
  file: { text: string };
  pending: Array<() => void>;
  failing: { on: boolean };
  executor: EffectExecutor;
  writer: ConfigWriter;
  clock: { nowMs: number };
  setState(text: string): void;
}

/** `stallMs`: how far the clock jumps during each synchronous write (a process stopped in fsync). */
function harness(opts: { stallLimitMs?: number; stallMs?: number } = {}): Harness {
  const trace: string[] = [];
  const fed: CoreEvent[] = [];
  const file = { text: '' };
  const pending: Array<() => void> = [];
  const failing = { on: false };
  const clock = { nowMs: 0 };
  let state = 'v0';
  const disk: Disk = {
    writeSync: (text) => {
      if (failing.on) throw new Error('ENOSPC: no space left on device');
      trace.push(`writeSync ${text}`);
      file.text = text;
      clock.nowMs += opts.stallMs ?? 0;
    },
    writeAsync: (text, current, done) => {
      trace.push(`writeAsync start ${text}`);
      pending.push(() => {
        if (current()) file.text = text;
        trace.push(`writeAsync ${current() ? 'renamed' : 'dropped'} ${text}`);
        done();
      });
    },
  };
  const writer = new ConfigWriter({ disk, render: () => state });
  const links: LinkOps = {
    connect: (link) => { trace.push(`connect ${link}`); },
    disconnect: () => true,
    ping: (link) => { trace.push(`ping ${link}`); },
    info: (link) => { trace.push(`info ${link}`); },
    publishHello: (link, payload) => { trace.push(`hello ${link} ${payload} (file ${file.text})`); },
    askMasterDown: (link, _ip, _port, epoch) => { trace.push(`ask ${link} ${epoch} (file ${file.text})`); },
    slaveof: (link) => { trace.push(`slaveof ${link}`); },
  };
  const executor = new EffectExecutor({
    writer,
    links,
    timers: { nowMs: () => clock.nowMs, after: () => undefined },
    sinks: {
      event: (_level, channel) => { trace.push(`event ${channel}`); },
      log: () => undefined,
      reconfigScript: () => undefined,
      crash: () => undefined,
      saveFailed: () => { trace.push('save failed'); },
    },
    feed: (event) => { fed.push(event); },
    holdsLink: () => true,
    ...(opts.stallLimitMs === undefined ? {} : { stallLimitMs: () => opts.stallLimitMs! }),
  });
  return { trace, fed, file, pending, failing, executor, writer, clock, setState: (text) => { state = text; } };
}

const ask: Effect = { type: 'askMasterDown', link: 'l', peer: PEER, masterIp: '10.0.0.1', masterPort: 6379, epoch: 5, runId: 'me' };

describe('EffectExecutor', () => {
  it('writes a batch with a sync persist once, at its first persist, before anything after it leaves', () => {
    const h = harness();
    h.setState('epoch 5');
    h.executor.run([
      { type: 'event', level: 'notice', channel: '+sentinel', message: '' },
      { type: 'persist', sync: false },
      { type: 'persist', sync: true },
      ask,
      { type: 'persist', sync: true },
    ]);
    expect(h.trace).toEqual(['event +sentinel', 'writeSync epoch 5', 'ask l 5 (file epoch 5)']);
  });

  it('writes discovery asynchronously, coalescing the requests made while a write runs', () => {
    const h = harness();
    h.setState('a');
    h.executor.run([{ type: 'persist', sync: false }, { type: 'ping', link: 'l' }]);
    h.setState('b');
    h.executor.run([{ type: 'persist', sync: false }]);
    h.setState('c');
    h.executor.run([{ type: 'persist', sync: false }]);
    expect(h.trace).toEqual(['writeAsync start a', 'ping l']);
    h.pending.shift()!();
    h.pending.shift()!();
    expect(h.pending).toEqual([]);
    expect(h.trace.slice(2)).toEqual(['writeAsync renamed a', 'writeAsync start c', 'writeAsync renamed c']);
    expect(h.file.text).toBe('c');
  });

  it('never renames an async write over a later sync one; the latest state is written after it', () => {
    const h = harness();
    h.setState('old');
    h.executor.run([{ type: 'persist', sync: false }]);
    h.setState('vote');
    h.executor.run([{ type: 'persist', sync: true }]);
    h.pending.shift()!();
    expect(h.file.text).toBe('vote');
    h.pending.shift()!();
    expect(h.trace).toEqual([
      'writeAsync start old', 'writeSync vote', 'writeAsync dropped old', 'writeAsync start vote', 'writeAsync renamed vote',
    ]);
  });

  it('after a failed sync write, holds back what would reveal the unsaved state and completes it as unanswered', () => {
    const h = harness();
    h.failing.on = true;
    h.setState('epoch 6');
    const result = h.executor.run([
      { type: 'persist', sync: true },
      { type: 'event', level: 'warning', channel: '+new-epoch', message: '6' },
      ask,
      { type: 'publishHello', link: 'l', payload: 'hello' },
      { type: 'ping', link: 'l' },
    ]);
    expect(result.saveFailed).toBe(true);
    expect(h.trace).toEqual(['save failed', 'event +new-epoch', 'ping l']);
    expect(h.fed).toEqual([
      { type: 'masterDownReply', master: 'mymaster', peer: 'peer', reply: undefined },
      { type: 'commandDone', link: 'l' },
    ]);
    expect(h.writer.isDurable()).toBe(false);
    expect(h.executor.ensureDurable()).toBe(false);
  });

  it('retries the write at most once a second while something is held back, and reveals again once it succeeds', () => {
    const h = harness();
    h.failing.on = true;
    h.setState('epoch 5');
    h.executor.run([{ type: 'persist', sync: true }]);
    h.failing.on = false;
    h.clock.nowMs = 500;
    h.executor.run([ask]);
    expect(h.trace).toEqual(['save failed']);
    h.clock.nowMs = 1_000;
    h.executor.run([ask]);
    expect(h.trace).toEqual(['save failed', 'writeSync epoch 5', 'ask l 5 (file epoch 5)']);
    expect(h.writer.isDurable()).toBe(true);
  });

  it('holds back what a batch would reveal once the process stalled past the TILT trigger while carrying it out', () => {
    const slaveof: Effect = { type: 'slaveof', link: 'r1', target: { master: 'mymaster', kind: 'slave', name: 'r1' } };
    const batch: Effect[] = [
      { type: 'event', level: 'notice', channel: '+selected-slave', message: '' },
      { type: 'persist', sync: true },
      slaveof,
      { type: 'event', level: 'notice', channel: '+failover-state-wait-promotion', message: '' },
    ];
    // The synchronous write takes 2.5 s (SIGSTOP in fsync): nothing decided before it leaves.
    const stalled = harness({ stallLimitMs: 2_000, stallMs: 2_500 });
    stalled.executor.run(batch);
    expect(stalled.trace.filter((t) => t.startsWith('slaveof'))).toEqual([]);
    expect(stalled.fed).toEqual([{ type: 'slaveofDone', link: 'r1', target: slaveof.target, ok: false, stalled: true }]);
    // Events still go out (they only tell what was decided).
    expect(stalled.trace).toContain('event +failover-state-wait-promotion');
    // A write within the trigger is no stall.
    const quick = harness({ stallLimitMs: 2_000, stallMs: 1_500 });
    quick.executor.run(batch);
    expect(quick.trace).toContain('slaveof r1');
    expect(quick.fed).toEqual([]);
  });
});
