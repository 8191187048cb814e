import { accessSync, constants } from 'node:fs';

/** Redis's access(path, X_OK) check for notification and client-reconfig scripts. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
