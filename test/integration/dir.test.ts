/**
 * `dir` honoured the way Redis does it: redis-sentinel chdir()s into `dir`
 * while loading the config, so every relative path afterwards (scripts given
 * in the file or by SENTINEL SET, logfile, pidfile, the scripts' working
 * directory) is relative to `dir`, while the config rewrite still goes to the
 * file named on the command line, and the aclfile is read and saved there. tssentinel and a real redis-sentinel get
 * the same files, and must give the same replies.
 *
 * Layout, in a temp dir T (the sentinel processes run from their own temp
 * dir P, a sibling of T, so `dir ../T/sentinel_0` is relative):
 *   T/helpers/notify.sh     appends "$*" and its cwd to ./notify.out
 *   T/helpers/notify2.sh    appends "$*" to ./notify2.out
 *   T/sentinel_0/           dir
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runTsSentinelToExit, startRealSentinel, startTsSentinel, stopAll, tempDir, tsSentinelCommand, REDIS_SENTINEL_BIN,
  type ProcHandle,
} from '../support/procs.js';
import { freePort } from '../support/ports.js';
import { textOf, toPlain } from '../support/resp.js';
import { call } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';
import { spawn, spawnSync } from 'node:child_process';

afterAll(async () => {
  await stopAll();
});

/** An address nothing listens on: the master only has to be monitored. */
const UNREACHABLE_PORT = 1;

interface Layout {
  root: string;
  dirAbs: string;
}

function layout(label: string): Layout {
  const root = tempDir(`dir-${label}`);
  const helpers = path.join(root, 'helpers');
  const dirAbs = path.join(root, 'sentinel_0');
  fs.mkdirSync(helpers);
  fs.mkdirSync(dirAbs);
  writeScript(path.join(helpers, 'notify.sh'), 'printf \'%s\\n\' "$*" >> notify.out\npwd >> notify.out\n');
  writeScript(path.join(helpers, 'notify2.sh'), 'printf \'%s\\n\' "$*" >> notify2.out\n');
  fs.writeFileSync(path.join(dirAbs, 'users.acl'), 'user default on nopass ~* &* +@all\n');
  return { root, dirAbs };
}

function writeScript(p: string, body: string): void {
  fs.writeFileSync(p, `#!/bin/sh\n${body}`);
  fs.chmodSync(p, 0o755);
}

function confText(l: Layout): string {
  return [
    // Relative to the process's cwd, a sibling temp dir.
    `dir ../${path.basename(l.root)}/sentinel_0`,
    'logfile "s.log"',
    'pidfile "s.pid"',
    'aclfile "users.acl"',
    'sentinel deny-scripts-reconfig no',
    `sentinel monitor mymaster 127.0.0.1 ${UNREACHABLE_PORT} 1`,
    'sentinel notification-script mymaster ../helpers/notify.sh',
    '',
  ].join('\n');
}

function lines(p: string): string[] {
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').filter((x) => x !== '') : [];
}

/** What one side replies and leaves on disk. */
interface Observed {
  replies: string[];
  notifyLines: string[];
  notify2Lines: string[];
  filesInDir: string[];
  rewrittenDir: string | undefined;
  aclSaved: string[];
}

async function observe(start: (conf: string) => Promise<ProcHandle>, label: string): Promise<Observed> {
  const l = layout(label);
  const s = await start(confText(l));
  // Config-file script, relative to dir, runs at +monitor with dir as its cwd.
  await waitFor(() => lines(path.join(l.dirAbs, 'notify.out')).length >= 2, { what: `${label}: notify.out from +monitor` });
  const set = async (...args: string[]): Promise<string> => {
    const v = toPlain(await call(s.port, 'SENTINEL', 'SET', 'mymaster', ...args));
    return typeof v === 'object' && v !== null && 'error' in v ? String(v.error) : String(v);
  };
  const replies = [
    // Relative to the start cwd, not to dir: refused.
    await set('notification-script', `../${path.basename(l.root)}/helpers/notify2.sh`),
    await set('notification-script', '../../helpers/notify2.sh'),
    await set('client-reconfig-script', '../../helpers/notify2.sh'),
    // Relative to dir: accepted.
    await set('client-reconfig-script', '../helpers/notify2.sh'),
    await set('notification-script', '../helpers/notify2.sh'),
  ];
  // The +set event above is a warning: it runs the new script.
  await waitFor(() => lines(path.join(l.dirAbs, 'notify2.out')).length >= 1, { what: `${label}: notify2.out from +set` });
  await waitFor(() => fs.existsSync(path.join(l.dirAbs, 's.pid')), { what: `${label}: pidfile under dir` });
  // The aclfile, relative, was read from dir; ACL SAVE writes it back there.
  replies.push(String(toPlain(await call(s.port, 'ACL', 'SETUSER', 'carol', 'on'))), String(toPlain(await call(s.port, 'ACL', 'SAVE'))));
  const aclSaved = lines(path.join(l.dirAbs, 'users.acl'));
  const filesInDir = fs.readdirSync(l.dirAbs).sort();
  const rewrittenDir = /^dir (.*)$/m.exec(fs.readFileSync(s.confPath, 'utf8'))?.[1];
  // And it starts again from the rewritten file, from the same cwd.
  await s.restart();
  expect(textOf(await call(s.port, 'PING'))).toBe('PONG');
  return {
    replies,
    notifyLines: lines(path.join(l.dirAbs, 'notify.out')).slice(0, 2).map((x) => x.replace(l.root, '<T>')),
    notify2Lines: lines(path.join(l.dirAbs, 'notify2.out')).slice(0, 1),
    filesInDir,
    rewrittenDir: rewrittenDir?.replace(l.root, '<T>'),
    aclSaved,
  };
}

describe('dir: relative paths follow it, as in redis-sentinel', () => {
  it('scripts (file and SENTINEL SET), logfile, pidfile and the scripts\' cwd are relative to dir; same replies as redis-sentinel', async () => {
    const [ts, real] = await Promise.all([observe(startTsSentinel, 'ts'), observe(startRealSentinel, 'real')]);
    expect(ts.replies).toEqual([
      'ERR Notification script seems non existing or non executable',
      'ERR Notification script seems non existing or non executable',
      'ERR Client reconfiguration script seems non existing or non executable',
      'OK',
      'OK',
      'OK',
      'OK',
    ]);
    expect(ts.aclSaved).toEqual(['user carol on resetchannels -@all', 'user default on nopass ~* &* +@all']);
    expect(ts.notifyLines).toEqual([`+monitor master mymaster 127.0.0.1 ${UNREACHABLE_PORT} quorum 1`, '<T>/sentinel_0']);
    expect(ts.notify2Lines).toEqual([`+set master mymaster 127.0.0.1 ${UNREACHABLE_PORT} notification-script ../helpers/notify2.sh`]);
    expect(ts.filesInDir).toEqual(['notify.out', 'notify2.out', 's.log', 's.pid', 'users.acl']);
    // Redis's rewrite writes dir as getcwd() prints it.
    expect(ts.rewrittenDir).toBe('"<T>/sentinel_0"');
    expect(ts).toEqual(real);
  });

  it('a dir that does not exist stops the start with Redis\'s wording and exit 1', async () => {
    const d = tempDir('dir-missing');
    const conf = path.join(d, 'sentinel.conf');
    fs.writeFileSync(conf, 'port 0\ndir /nonexistent-tss-dir\nsentinel monitor m 127.0.0.1 1 1\n');
    const ts = await runTsSentinelToExit([conf]);
    const real = spawnSync(REDIS_SENTINEL_BIN, [conf], { encoding: 'utf8', timeout: 10_000 });
    expect(ts.code).toBe(1);
    expect(real.status).toBe(1);
    const expected = "Reading the configuration file, at line 2\n>>> 'dir /nonexistent-tss-dir'\nNo such file or directory";
    expect(ts.output).toContain(expected);
    expect(real.stderr + real.stdout).toContain(expected);
  });

  it('a relative config path is still rewritten in place after the chdir', async () => {
    const l = layout('relconf');
    const conf = path.join(l.root, 'sentinel.conf');
    const port = await freePort();
    fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir sentinel_0\nsentinel monitor m 127.0.0.1 1 1\n`);
    const { command, args } = tsSentinelCommand();
    const child = spawn(command, [...args, 'sentinel.conf'], { cwd: l.root, stdio: 'ignore' });
    try {
      await waitFor(async () => textOf(await call(port, 'PING')) === 'PONG', { what: 'relative-config sentinel up' });
      // The generated myid is persisted at start, into the file named on the command line.
      expect(fs.readFileSync(conf, 'utf8')).toMatch(/^sentinel myid [0-9a-f]{40}$/m);
      expect(fs.readFileSync(conf, 'utf8')).toContain(`dir "${l.dirAbs}"`);
      expect(fs.existsSync(path.join(l.dirAbs, 'sentinel.conf'))).toBe(false);
    } finally {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }
  });
});
