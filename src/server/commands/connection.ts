/** PING, AUTH and HELLO. */
import { string2ll } from '../../numbers.js';
import { REDIS_VERSION } from '../commandIndex.js';
import { OK, array, bulk, bulkArray, error, fieldMap, int, simple, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import { CLIENT_NAME_ERROR, validClientName } from './client.js';
import { SYNTAX_ERROR } from './handler.js';

export function ping(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  // PING's table arity is -1: the handler itself rejects extra arguments, after the auth check.
  if (argv.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  // The payload is echoed as the bytes received (binary-safe, and never decoded when huge).
  const payload = argv.length > 1 ? c.rawArg(1) ?? argv[1] ?? '' : undefined;
  if (c.protocol === 2 && c.subscriptionCount > 0) return bulkArray(['pong', payload ?? '']);
  return payload === undefined ? simple('PONG') : bulk(payload);
}

const WRONGPASS = error('WRONGPASS invalid username-password pair or user is disabled.');

export function auth(s: RespServer, c: Client, argv: readonly string[]): Reply {
  if (argv.length > 3) return SYNTAX_ERROR;
  if (argv.length === 2 && s.acl.defaultUser.nopass) {
    return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const [user, pass] = argv.length === 2 ? ['default', argv[1] as string] : [argv[1] as string, argv[2] as string];
  // ACL LOG names the command as the client typed it ("auth", "AUTH").
  return s.acl.authenticate(c, user, pass, argv[0] as string) ? OK : WRONGPASS;
}

/** Redis's helloCommand: options act in order (a SETNAME before a failing AUTH sticks), then the auth check. */
export function hello(s: RespServer, c: Client, argv: readonly string[]): Reply {
  let version: number | undefined;
  if (argv.length >= 2) {
    version = string2ll(argv[1] as string);
    if (version === undefined) return error('ERR Protocol version is not an integer or out of range');
    if (version < 2 || version > 3) return error('NOPROTO unsupported protocol version');
  }
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j] as string;
    const more = argv.length - 1 - j;
    if (opt.toLowerCase() === 'auth' && more >= 2) {
      if (!s.acl.authenticate(c, argv[j + 1] as string, argv[j + 2] as string, argv[0] as string)) return WRONGPASS;
      j += 2;
    } else if (opt.toLowerCase() === 'setname' && more >= 1) {
      const name = argv[++j] as string;
      if (!validClientName(name)) return error(CLIENT_NAME_ERROR);
      c.name = name;
    } else {
      return error(`ERR Syntax error in HELLO option '${opt}'`);
    }
  }
  if (!c.authenticated) {
    return error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (version !== undefined) c.protocol = version as 2 | 3;
  return fieldMap([
    ['server', bulk('redis')],
    ['version', bulk(REDIS_VERSION)],
    ['proto', int(c.protocol)],
    ['id', int(c.id)],
    ['mode', bulk('sentinel')],
    ['modules', array([])],
  ]);
}
