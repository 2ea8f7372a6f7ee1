import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The temporary directories of one suite. */
export interface TempDirs {
  /** Creates a new empty directory `<os tmpdir>/<prefix>XXXXXX` and returns its path. */
  make(): string;
  /** Removes every directory `make()` created (for afterAll). */
  removeAll(): void;
}

export function tempDirs(prefix: string): TempDirs {
  const made: string[] = [];
  return {
    make: () => {
      const dir = mkdtempSync(path.join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll: () => {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
