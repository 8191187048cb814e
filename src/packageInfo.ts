/**
 * Where this build lives, for the code that must find its own files: the
 * package version and the Sentinel's entry script (the demo starts Sentinels
 * with it). Kept at the top of src/ so that the same relative paths hold for
 * dist/*.js and for the one-file bundle dist/tssentinel.cjs next to them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

/** The entry to run a Sentinel of this build: the bundle when running from it, else dist/cli.js. */
export const CLI_PATH = HERE.endsWith('.cjs') ? HERE : join(dirname(HERE), 'cli.js');

/** package.json's version; '0.0.0' if it cannot be read. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(HERE), '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}
