/**
 * notification-script and client-reconfig-script around a real failover, and
 * SENTINEL SET of script paths (refused under deny-scripts-reconfig yes, the
 * default).
 *
 * Three tssentinels; #0 is made the leader deterministically (quorum 1, it
 * alone has a short down-after, the others grant it their votes), #1 and #2
 * are observers. Each one has its own scripts writing to its own files, one
 * line per run, the arguments separated by tabs so their count is checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAll, startRedis, startTsSentinel, stopAll, tempDir, type ProcHandle } from '../support/procs.js';
import { parseInfo, textOf, toPlain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';
import { call, masterInfo } from '../support/sentinel.js';

const HOST = '127.0.0.1';
const LEADER_DOWN_AFTER_MS = 1_000;
const OBSERVER_DOWN_AFTER_MS = 20_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const DISCOVERY_TIMEOUT_MS = 15_000;
const SWITCH_TIMEOUT_MS = 2 * FAILOVER_TIMEOUT_MS + 10_000;
const SCRIPT_TIMEOUT_MS = 15_000;
/** Word for word what redis-sentinel 7.0.15 replies. */
const DENIED =
  'ERR Reconfiguration of scripts path is denied for security reasons. ' +
  'Check the deny-scripts-reconfig configuration directive in your Sentinel configuration';
/** Events Redis publishes below the warning level: they never reach notification-script. */
const NOT_WARNINGS = [
  '+slave-reconf-sent',
  '+slave-reconf-inprog',
  '+slave-reconf-done',
  '+slave',
  '+sentinel',
  '+script-child',
  '-script-child',
];

afterAll(async () => {
  await stopAll();
});



async function replication(port: number): Promise<Record<string, string>> {
  const section = parseInfo(textOf(await call(port, 'INFO', 'replication'))).find((s) => s.name === 'Replication');
  return Object.fromEntries(section?.fields ?? []);
}

/** An executable sh script appending its arguments, tab-separated, as one line of outPath. */
function writeRecorder(scriptPath: string, outPath: string): void {
  fs.writeFileSync(scriptPath, `#!/bin/sh\nIFS="$(printf '\\t')"\nprintf '%s\\n' "$*" >> '${outPath}'\n`);
  fs.chmodSync(scriptPath, 0o755);
}

/** The recorded runs: one array of arguments per line. */
function recorded(outPath: string): string[][] {
  if (!fs.existsSync(outPath)) return [];
  return fs
    .readFileSync(outPath, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

interface Scripted {
  proc: ProcHandle;
  label: string;
  reconfigScript: string;
  notifyScript: string;
  reconfigOut: string;
  notifyOut: string;
}

describe('scripts around a failover led by tssentinel #0', () => {
  let master: ProcHandle;
  let replicas: ProcHandle[];
  let sentinels: Scripted[];

  beforeAll(async () => {
    master = await startRedis();
    replicas = await startAll([
      startRedis({ replicaOf: { host: HOST, port: master.port } }),
      startRedis({ replicaOf: { host: HOST, port: master.port } }),
    ]);
    const dir = tempDir('scripts');
    const specs = [0, 1, 2].map((i) => {
      const s = {
        reconfigScript: path.join(dir, `reconfig-${i}.sh`),
        notifyScript: path.join(dir, `notify-${i}.sh`),
        reconfigOut: path.join(dir, `reconfig-${i}.out`),
        notifyOut: path.join(dir, `notify-${i}.out`),
      };
      writeRecorder(s.reconfigScript, s.reconfigOut);
      writeRecorder(s.notifyScript, s.notifyOut);
      const conf = [
        `sentinel monitor mymaster ${HOST} ${master.port} 1`,
        `sentinel down-after-milliseconds mymaster ${i === 0 ? LEADER_DOWN_AFTER_MS : OBSERVER_DOWN_AFTER_MS}`,
        `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
        `sentinel client-reconfig-script mymaster ${s.reconfigScript}`,
        `sentinel notification-script mymaster ${s.notifyScript}`,
        '',
      ].join('\n');
      return { ...s, conf };
    });
    const procs = await startAll(specs.map((s) => startTsSentinel(s.conf)));
    sentinels = specs.map((s, i) => ({ ...s, proc: procs[i]!, label: `tssentinel #${i} (port ${procs[i]!.port})` }));
    for (const s of sentinels) {
      await waitFor(
        async () => {
          const m = await masterInfo(s.proc);
          return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2';
        },
        { timeoutMs: DISCOVERY_TIMEOUT_MS, what: `${s.label} to report num-slaves 2 and num-other-sentinels 2` },
      );
    }
    for (const r of replicas) {
      await waitFor(async () => (await replication(r.port))['master_link_status'] === 'up', { what: `replica ${r.port} in sync` });
    }
  });

  it(
    'client-reconfig-script runs as leader on the leader and as observer elsewhere; notification-script gets warning events',
    async () => {
      const oldPort = master.port;
      await master.kill9();

      const newPort = Number(
        await waitFor(
          async () => {
            const addr = toPlain(await call(sentinels[0]!.proc.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
            return Array.isArray(addr) && addr[1] !== String(oldPort) ? addr[1] : false;
          },
          { timeoutMs: SWITCH_TIMEOUT_MS, what: 'the leader to report a new master' },
        ),
      );
      expect(replicas.map((r) => r.port)).toContain(newPort);
      const from = [HOST, String(oldPort)];
      const to = [HOST, String(newPort)];

      const leader = sentinels[0]!;
      const leaderRuns = await waitFor(
        () => {
          const runs = recorded(leader.reconfigOut);
          return runs.some((a) => a[2] === 'start') ? runs : undefined;
        },
        { timeoutMs: SCRIPT_TIMEOUT_MS, what: `a "start" line in ${leader.reconfigOut} (${leader.label})` },
      );
      expect(leaderRuns).toContainEqual(['mymaster', 'leader', 'start', ...from, ...to]);
      for (const run of leaderRuns) {
        expect(run, `every run of the leader's client-reconfig-script: ${JSON.stringify(leaderRuns)}`).toEqual([
          'mymaster',
          'leader',
          expect.stringMatching(/^(start|end)$/),
          ...from,
          ...to,
        ]);
      }

      for (const observer of sentinels.slice(1)) {
        const runs = await waitFor(
          () => {
            const r = recorded(observer.reconfigOut);
            return r.length > 0 ? r : undefined;
          },
          { timeoutMs: SCRIPT_TIMEOUT_MS, what: `a line in ${observer.reconfigOut} (${observer.label})` },
        );
        expect(runs, `client-reconfig-script runs of ${observer.label}`).toEqual([['mymaster', 'observer', 'start', ...from, ...to]]);
      }

      // notification-script: <event-type> <event-description>, warning events only.
      const notified = await waitFor(
        () => {
          const runs = recorded(leader.notifyOut);
          return runs.some((a) => a[0] === '+switch-master') ? runs : undefined;
        },
        { timeoutMs: SCRIPT_TIMEOUT_MS, what: `+switch-master in ${leader.notifyOut}` },
      );
      expect(notified).toContainEqual(['+sdown', `master mymaster ${HOST} ${oldPort}`]);
      expect(notified).toContainEqual(['+try-failover', `master mymaster ${HOST} ${oldPort}`]);
      expect(notified).toContainEqual(['+elected-leader', `master mymaster ${HOST} ${oldPort}`]);
      expect(notified).toContainEqual(['+switch-master', `mymaster ${HOST} ${oldPort} ${HOST} ${newPort}`]);
      for (const run of notified) {
        expect(run, `two arguments per notification: ${JSON.stringify(notified)}`).toHaveLength(2);
        expect(NOT_WARNINGS, `a non-warning event reached notification-script: ${JSON.stringify(run)}`).not.toContain(run[0]);
      }
      for (const observer of sentinels.slice(1)) {
        await waitFor(() => recorded(observer.notifyOut).some((a) => a[0] === '+switch-master'), {
          timeoutMs: SCRIPT_TIMEOUT_MS,
          what: `+switch-master in ${observer.notifyOut} (${observer.label})`,
        });
        expect(recorded(observer.notifyOut)).toContainEqual(['+switch-master', `mymaster ${HOST} ${oldPort} ${HOST} ${newPort}`]);
      }
    },
    75_000,
  );

  it('SENTINEL SET of a script path is denied by default, and changes nothing', async () => {
    const s = sentinels[1]!;
    const other = path.join(path.dirname(s.reconfigScript), 'other.sh');
    writeRecorder(other, `${other}.out`);
    for (const option of ['client-reconfig-script', 'notification-script']) {
      const reply = await call(s.proc.port, 'SENTINEL', 'SET', 'mymaster', option, other);
      expect(reply, `SENTINEL SET mymaster ${option}`).toEqual({ type: 'error', value: DENIED });
    }
    const m = await masterInfo(s.proc);
    expect(m['client-reconfig-script']).toBe(s.reconfigScript);
    expect(m['notification-script']).toBe(s.notifyScript);
    const saved = fs.readFileSync(s.proc.confPath, 'utf8');
    expect(saved).toMatch(new RegExp(`^sentinel client-reconfig-script mymaster ${s.reconfigScript}$`, 'm'));
    expect(saved).not.toContain(other);
  });
});

describe('SENTINEL SET of a script path with deny-scripts-reconfig no', () => {
  it('is accepted when executable, refused when not', async () => {
    const master = await startRedis();
    const dir = tempDir('scripts-allowed');
    const script = path.join(dir, 'reconfig.sh');
    writeRecorder(script, path.join(dir, 'reconfig.out'));
    const notExecutable = path.join(dir, 'plain.txt');
    fs.writeFileSync(notExecutable, 'not a script\n');
    const s = await startTsSentinel(
      [`sentinel monitor solo ${HOST} ${master.port} 1`, 'sentinel deny-scripts-reconfig no', ''].join('\n'),
    );

    expect(toPlain(await call(s.port, 'SENTINEL', 'SET', 'solo', 'client-reconfig-script', script))).toBe('OK');
    expect((await masterInfo(s, 'solo'))['client-reconfig-script']).toBe(script);
    await waitFor(
      () => new RegExp(`^sentinel client-reconfig-script solo ${script}$`, 'm').test(fs.readFileSync(s.confPath, 'utf8')),
      { what: 'the new script path in the config file' },
    );

    expect(await call(s.port, 'SENTINEL', 'SET', 'solo', 'client-reconfig-script', notExecutable)).toEqual({
      type: 'error',
      value: 'ERR Client reconfiguration script seems non existing or non executable',
    });
    expect(await call(s.port, 'SENTINEL', 'SET', 'solo', 'notification-script', notExecutable)).toEqual({
      type: 'error',
      value: 'ERR Notification script seems non existing or non executable',
    });
    expect((await masterInfo(s, 'solo'))['client-reconfig-script']).toBe(script);
  });
});
