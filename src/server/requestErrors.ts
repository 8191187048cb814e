/** Redis's error texts for requests that name no command it knows, and the argument text they quote. */
import { bytesToText } from '../byteText.js';
import type { RequestArgs } from './decode.js';

/** A name or subcommand longer than this matches nothing; only this much is decoded for the error. */
export const NAME_BYTES_MAX = 512;

/** Redis's unknown-command error: the name and up to 128 characters of quoted arguments. */
export function unknownCommandError(argv: readonly string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cString(argv[i] as string).slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${cString(argv[0] as string).slice(0, 128)}', with args beginning with: ${args}`;
}

/** Argument i decoded as text, at most NAME_BYTES_MAX bytes of it (names and error messages). */
export function headText(args: RequestArgs, i: number): string {
  const b = args.arg(i);
  return bytesToText(b, 0, Math.min(b.length, NAME_BYTES_MAX));
}

/** Enough of the arguments for unknownCommandError (it prints 128 characters at most). */
export function headStrings(args: RequestArgs): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(args.count, 130); i++) out.push(headText(args, i));
  return out;
}

/** Redis formats these errors with printf("%s"): an argument ends at its first NUL. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
