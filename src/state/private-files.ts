/**
 * drdeck's state is the operator's alone: the audit log names what was changed where, the
 * timelines name the contexts. Folders drdeck creates are 0700, files 0600, and a file found
 * looser (made by an older drdeck, or by hand) is tightened when drdeck opens it.
 */
import { chmodSync, fchmodSync, fstatSync, mkdirSync, statSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) as 0700. An existing folder is left as it is: `--state-dir`
 * may name a folder drdeck does not own.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** True when group or others have any permission on a file of this mode. */
export function isLoose(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/**
 * Makes an existing regular file 0600 when group or others may use it. Best effort: a file that
 * is not there, not a regular file, or not ours is left alone (reading it still works).
 */
export function tightenFile(file: string): void {
  try {
    const stat = statSync(file);
    if (stat.isFile() && isLoose(stat.mode)) chmodSync(file, PRIVATE_FILE_MODE);
  } catch {
    // ENOENT (created 0600 later), EPERM (someone else's file): nothing to do here.
  }
}

/** The same for an open file descriptor. */
export function tightenFd(fd: number): void {
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && isLoose(stat.mode)) fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch {
    // Not ours to change; the writes still work.
  }
}
