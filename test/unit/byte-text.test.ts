/**
 * Values are bytes (src/byteText.ts): every byte string survives the trip
 * to a JS string and back, and through the config file (rendered, written as
 * bytes, read back, parsed) for every kind of value the file holds.
 */
import { describe, expect, it } from 'vitest';
import { bytesToText, hasEscapes, textByteLength, textToBytes } from '../../src/byteText.js';
import { parseConfig } from '../../src/config/parse.js';
import { renderConfig } from '../../src/config/rewrite.js';
import { defaultMasterConfig, type SentinelConfig } from '../../src/config/model.js';
import { encodeCommand } from '../../src/links/connection.js';
import { encodeReply } from '../../src/server/encode.js';
import { bulk, stringMap } from '../../src/server/reply.js';
import { RequestDecoder, type RequestArgs } from '../../src/server/decode.js';
import { hashPassword } from '../../src/server/aclRules.js';
import { createHash } from 'node:crypto';
import { seededRandom } from '../../src/core/sentinel.js';

const MYID = 'ae712b52910b9f6f36e0f9b7503fd2b0a9e503ab';

/** Deterministic PRNG (the core's mulberry32) so a failure replays. */
const rng = seededRandom;

/** Random bytes, often near UTF-8: lead bytes, continuation bytes, ASCII, quotes, spaces. */
function randomBytes(next: () => number, maxLen: number): Buffer {
  const len = 1 + Math.floor(next() * maxLen);
  const out = Buffer.alloc(len);
  const useful = [0x00, 0x20, 0x22, 0x27, 0x5c, 0x0a, 0x0d, 0x23, 0x80, 0xbf, 0xc3, 0xa4, 0xe2, 0x82, 0xac, 0xed, 0xa0,
    0xf0, 0x9f, 0xf4, 0x90, 0xfe, 0xff, 0x41];
  for (let i = 0; i < len; i++) {
    out[i] = next() < 0.5 ? (useful[Math.floor(next() * useful.length)] as number) : Math.floor(next() * 256);
  }
  return out;
}

/** Every byte value once, 0x00 to 0xff. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('byte strings', () => {
  it('every byte string of length 1 and 2 comes back unchanged', () => {
    for (let a = 0; a < 256; a++) {
      expect(textToBytes(bytesToText(Buffer.of(a)))).toEqual(Buffer.of(a));
      for (let b = 0; b < 256; b++) {
        const bytes = Buffer.of(a, b);
        const text = bytesToText(bytes);
        if (!textToBytes(text).equals(bytes)) expect.fail(`${bytes.toString('hex')} -> ${JSON.stringify(text)}`);
      }
    }
  });

  it('random byte strings come back unchanged, and their length is counted in bytes', () => {
    const next = rng(19);
    for (let i = 0; i < 5_000; i++) {
      const bytes = randomBytes(next, 24);
      const text = bytesToText(bytes);
      expect(textToBytes(text)).toEqual(bytes);
      expect(textByteLength(text)).toBe(bytes.length);
      // Decoding is a function of the bytes: what is read back twice is the same text.
      expect(bytesToText(textToBytes(text))).toBe(text);
    }
    expect(textToBytes(bytesToText(ALL_BYTES))).toEqual(ALL_BYTES);
  });

  it('a big argument of bytes that are not UTF-8 (8 MB, mostly escapes) converts exactly', () => {
    // (About 0.2 s: no string per byte, whose rope would take gigabytes.)
    const bytes = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 7 === 0 ? 0xff : i % 7 === 1 ? 0xc3 : i % 7 === 2 ? 0xa4 : 0x61;
    expect(textToBytes(bytesToText(bytes)).equals(bytes)).toBe(true);
  });

  it('valid UTF-8 is ordinary text, with no escape in it', () => {
    for (const s of ['', 'mymaster', 'päss', '€uro', 'emoji 🙂', 'a low half in the escape range 💀', '\uFFFD real replacement character', 'a\u0000b']) {
      const bytes = Buffer.from(s, 'utf8');
      expect(bytesToText(bytes)).toBe(s);
      expect(hasEscapes(bytesToText(bytes))).toBe(false);
      expect(textToBytes(s)).toEqual(bytes);
    }
  });

  it('bytes that are not UTF-8 are kept one by one: lone, overlong, surrogate, beyond U+10FFFF, cut short', () => {
    for (const hex of ['ff', 'fe', '80', 'c0af', 'c180', 'e080af', 'eda080', 'edbfbf', 'f4908080', 'f8888080', 'e282', 'f09f98']) {
      const bytes = Buffer.from(hex, 'hex');
      const text = bytesToText(bytes);
      expect([...text].map((c) => c.charCodeAt(0))).toEqual([...bytes].map((b) => 0xdc00 + b));
      expect(textToBytes(text)).toEqual(bytes);
    }
    // Next to valid characters, only the stray bytes are escaped.
    expect(bytesToText(Buffer.from('p\xff\xfeq', 'latin1'))).toBe('p\uDCFF\uDCFEq');
    expect(bytesToText(Buffer.from([0xc3, 0xa4, 0xff, 0xf0, 0x9f, 0x99, 0x82]))).toBe('ä\uDCFF🙂');
  });
});

describe('byte strings at the edges', () => {
  const PASSWORD = Buffer.from([0x70, 0xff, 0xfe, 0x71]); // p\xff\xfeq

  it('a request argument that is not UTF-8 reaches a handler as its bytes', () => {
    const d = new RequestDecoder();
    d.feed(Buffer.concat([Buffer.from('*2\r\n$4\r\nAUTH\r\n$4\r\n'), PASSWORD, Buffer.from('\r\n')]));
    const got: string[][] = [];
    d.drain((args: RequestArgs) => { got.push(args.toStrings()); return true; });
    expect(got.length).toBe(1);
    expect(textToBytes(got[0]![1]!)).toEqual(PASSWORD);
  });

  it('replies carry the bytes, lengths counted in bytes', () => {
    const name = bytesToText(Buffer.from([0x6e, 0xc3, 0xa4, 0xff]));
    expect(encodeReply(bulk(name), 2)).toEqual(Buffer.from([...Buffer.from('$4\r\n'), 0x6e, 0xc3, 0xa4, 0xff, ...Buffer.from('\r\n')]));
    const map = encodeReply(stringMap([['name', name], ['ip', '127.0.0.1']]), 2);
    expect(map).toEqual(Buffer.concat([Buffer.from('*4\r\n$4\r\nname\r\n$4\r\n'), textToBytes(name), Buffer.from('\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n')]));
    expect(encodeReply({ kind: 'error', value: `ERR no ${name}` }, 2)).toEqual(Buffer.concat([Buffer.from('-ERR no '), textToBytes(name), Buffer.from('\r\n')]));
  });

  it('commands to instances carry the bytes: AUTH sends the password that was set', () => {
    const frame = encodeCommand(['AUTH', bytesToText(PASSWORD)]);
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect(frame).toEqual(Buffer.concat([Buffer.from('*2\r\n$4\r\nAUTH\r\n$4\r\n'), PASSWORD, Buffer.from('\r\n')]));
    // Text stays text (no Buffer per PING).
    expect(encodeCommand(['PING'])).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('a password is hashed as its bytes (what Redis stores for requirepass and ACL users)', () => {
    expect(hashPassword(bytesToText(PASSWORD))).toBe(createHash('sha256').update(PASSWORD).digest('hex'));
  });
});

// ---------------------------------------------------------------------------
// The config file

/** The model minus what is not persisted (`leader`) or depends on layout (`ignored[].line`). */
function persisted(cfg: SentinelConfig): unknown {
  return {
    ...cfg,
    ignored: cfg.ignored.map(({ directive, args }) => ({ directive, args })),
    masters: cfg.masters.map(({ leader: _leader, ...m }) => m),
  };
}

/** Rendered, written as bytes, read back as bytes, parsed: what a restart loads. */
function reload(cfg: SentinelConfig): { cfg: SentinelConfig; file: Buffer } {
  const file = textToBytes(renderConfig('', cfg));
  return { cfg: parseConfig(bytesToText(file)), file };
}

/** Each kind of value the file holds, set to `v` in a fresh config. */
const KINDS: Record<string, (cfg: SentinelConfig, v: string) => void> = {
  'master name': (cfg, v) => { cfg.masters.push(defaultMasterConfig(v, '127.0.0.1', 6379, 2)); },
  'auth-pass': (cfg, v) => { master(cfg).authPass = v; },
  'auth-user': (cfg, v) => { master(cfg).authUser = v; },
  'notification-script': (cfg, v) => { master(cfg).notificationScript = v; },
  'client-reconfig-script': (cfg, v) => { master(cfg).clientReconfigScript = v; },
  'rename-command (new name)': (cfg, v) => { master(cfg).renameCommands['config'] = v; },
  'rename-command (old name)': (cfg, v) => { master(cfg).renameCommands[v.toLowerCase()] = 'x'; },
  'announce-ip': (cfg, v) => { cfg.announceIp = v; },
  'sentinel-user': (cfg, v) => { cfg.sentinelUser = v; },
  'sentinel-pass': (cfg, v) => { cfg.sentinelPass = v; },
  requirepass: (cfg, v) => { cfg.requirepass = v; },
  'user password': (cfg, v) => { cfg.users.push(['alice', 'on', `>${v}`, '+@all']); },
  'user name': (cfg, v) => { cfg.users.push([v, 'on', 'nopass']); },
  logfile: (cfg, v) => { cfg.logfile = v; },
  pidfile: (cfg, v) => { cfg.pidfile = v; },
  dir: (cfg, v) => { cfg.dir = v; },
};

function master(cfg: SentinelConfig) {
  let m = cfg.masters[0];
  if (!m) cfg.masters.push((m = defaultMasterConfig('m', '127.0.0.1', 6379, 2)));
  return m;
}

function configWith(kind: string, v: string): SentinelConfig {
  const cfg = parseConfig('');
  cfg.myid = MYID;
  KINDS[kind]!(cfg, v);
  return cfg;
}

describe('config file: byte strings round-trip through rewrite and load', () => {
  it.each(Object.keys(KINDS).map((k) => [k]))('%s: every byte value, then random byte strings', (kind) => {
    const next = rng([...kind].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
    // A NUL byte cannot name a user (Redis splits its ACL rules as C strings).
    const all = kind === 'user name' ? ALL_BYTES.subarray(1) : ALL_BYTES;
    const samples = [all, ...Array.from({ length: 300 }, () => randomBytes(next, 16))]
      .map((b) => (kind === 'user name' ? Buffer.from(b.filter((x) => x !== 0 && x !== 0x20)) : b))
      .filter((b) => b.length > 0);
    for (const bytes of samples) {
      const cfg = configWith(kind, bytesToText(bytes));
      const { cfg: loaded, file } = reload(cfg);
      expect(persisted(loaded), `${kind} ${bytes.toString('hex')}`).toEqual(persisted(cfg));
      // What the file says: only printable ASCII where a byte is not UTF-8 (quoted, \xhh).
      if (hasEscapes(bytesToText(bytes))) expect(bytesToText(file)).toBe(file.toString('utf8'));
      // And the rewrite of the loaded file is the same file.
      expect(textToBytes(renderConfig(bytesToText(file), loaded))).toEqual(file);
    }
  });

  it('auth-pass p\\xff\\xfeq is written in Redis quoting and loads back as those four bytes', () => {
    const cfg = configWith('auth-pass', bytesToText(Buffer.from('p\xff\xfeq', 'latin1')));
    const { cfg: loaded, file } = reload(cfg);
    expect(file.toString('latin1')).toContain('sentinel auth-pass m "p\\xff\\xfeq"\n');
    expect(textToBytes(loaded.masters[0]!.authPass!)).toEqual(Buffer.from('p\xff\xfeq', 'latin1'));
  });

  it('a value written raw by redis-sentinel (bytes as they are, unquoted) loads as the same bytes', () => {
    const raw = Buffer.concat([
      Buffer.from('sentinel monitor '), Buffer.from([0x6e, 0xc3, 0xa4, 0xff]), Buffer.from(' 127.0.0.1 6379 2\n'),
      Buffer.from('sentinel auth-pass '), Buffer.from([0x6e, 0xc3, 0xa4, 0xff, 0x20, 0x70, 0xff, 0xfe, 0x71]), Buffer.from('\n'),
    ]);
    const cfg = parseConfig(bytesToText(raw));
    expect(textToBytes(cfg.masters[0]!.name)).toEqual(Buffer.from([0x6e, 0xc3, 0xa4, 0xff]));
    expect(textToBytes(cfg.masters[0]!.authPass!)).toEqual(Buffer.from('p\xff\xfeq', 'latin1'));
    // Rewritten over that file: same values, the old lines reused.
    cfg.myid = MYID;
    const again = parseConfig(bytesToText(textToBytes(renderConfig(bytesToText(raw), cfg))));
    expect(persisted(again)).toEqual(persisted(cfg));
  });
});
