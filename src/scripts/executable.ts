import { accessSync, constants } from 'node:fs';
import { textToBytes } from '../byteText.js';

/** Redis's access(path, X_OK) check for notification and client-reconfig scripts; the path is bytes (../byteText.ts). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(textToBytes(path), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
