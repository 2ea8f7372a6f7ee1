import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { uniqueSuffix } from './file-lock';

const fsync = promisify(fs.fsync);
const rename = promisify(fs.rename);

/** The temporary files of `file` are `.<file name>.<unique suffix>.tmp`, beside it. */
const tempPrefix = (file: string): string => `.${path.basename(file)}.`;

/**
 * Replaces `file` (in `dir`) with `text` so that a crash at any moment leaves the old or the new
 * content, never a mix: a temporary file written and fsynced, renamed over the file, then the
 * directory fsynced. The caller holds the file's lock; `assertHeld` is a last check before the
 * rename (the commit point). The fsyncs and the rename wait for the disk off the event loop. A
 * failure removes the temporary file and is thrown as it came.
 */
export async function replaceDurably(dir: string, file: string, text: string, assertHeld: () => void): Promise<void> {
  const tmp = path.join(dir, `${tempPrefix(file)}${uniqueSuffix()}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o640);
  try {
    try {
      fs.writeFileSync(fd, text, 'utf8');
      await fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
    assertHeld();
    await rename(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const dirFd = fs.openSync(dir, 'r');
  try {
    await fsync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

/**
 * Removes the temporary files of `file` (in `dir`) that writers killed mid-write left behind. Call
 * it holding the file's lock: a writer makes, renames or removes its temporary file only while it
 * holds that lock, so every one found belongs to a writer that died. Best effort (a leftover costs
 * disk space, never a signature): false when `dir` could not be read or a file removed, to try again.
 */
export function removeDeadTemps(dir: string, file: string): boolean {
  const prefix = tempPrefix(file);
  try {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
    }
    return true;
  } catch {
    return false;
  }
}
