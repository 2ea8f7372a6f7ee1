import fs from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { SignatoryError } from '@signatory-ts/core';
import { probeLock, uniqueSuffix } from './file-lock';

/**
 * `base_dir` is checked before the daemon starts, so a bad one stops it with one line saying what
 * to fix instead of failing every consensus request later (a regular file), or hanging it (under
 * /proc, a recursive mkdir never ends). It must be, or be creatable as, a writable directory on a
 * real file system.
 */

/** `base_dir` is unusable; the daemon does not start. */
export class BaseDirError extends SignatoryError {
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super('config_invalid', `base_dir ${dir}: ${problem}. Set base_dir (or --base-dir) to a writable directory on a local disk`);
  }
}

/** Kernel file systems that are no place for data (statfs f_type, linux/magic.h). */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x6e736673, 'nsfs'],
  [0x65735543, 'fusectl'],
]);
/** Memory-backed: usable, but every watermark is lost at reboot. */
const VOLATILE_FS: ReadonlyMap<number, string> = new Map([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);
const PSEUDO_DIRS = ['/proc', '/sys', '/dev'];

/**
 * Checks `baseDir` and creates `<baseDir>/watermark_v2` if missing; throws a BaseDirError saying
 * what is wrong. Returns warnings for a usable but doubtful place (a memory file system).
 */
export async function checkBaseDir(baseDir: string): Promise<string[]> {
  const dir = path.resolve(baseDir);
  const wmDir = path.join(dir, 'watermark_v2');
  // look before creating anything: the nearest existing ancestor must be a directory on a real file system
  let existing = wmDir;
  for (;;) {
    const st = statOrUndefined(existing, dir);
    if (st !== undefined) {
      if (!st.isDirectory()) throw new BaseDirError(dir, `${existing} exists and is not a directory`);
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const warnings = checkFileSystem(dir, existing);
  try {
    makeDir(wmDir);
  } catch (e) {
    throw new BaseDirError(dir, `cannot create ${wmDir}: ${(e as Error).message}`);
  }
  checkFileSystem(dir, wmDir); // watermark_v2 itself may be a link elsewhere
  try {
    await probeWrite(wmDir);
  } catch (e) {
    throw new BaseDirError(dir, `cannot write in ${wmDir}: ${(e as Error).message}`);
  }
  try {
    probeLock(wmDir); // the file store's cross-process lock needs working file locks
  } catch (e) {
    throw new BaseDirError(dir, `cannot lock files in ${wmDir}: ${(e as Error).message}`);
  }
  return warnings;
}

/**
 * `mkdir -p` with mode 0750. Not `fs.mkdirSync(dir, { recursive: true })`: that never returns when
 * a parent exists but mkdir in it gives ENOENT (under /proc, Node 20), which hangs the signer.
 */
export function makeDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o750 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    makeDir(parent);
    try {
      fs.mkdirSync(dir, { mode: 0o750 });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}

/**
 * Creates, writes, fsyncs and removes a temporary file in `dir` (and fsyncs `dir`): what a commit
 * does, without touching a chain file; off the event loop, as a stalled disk may never answer.
 * Throws the file system's error.
 */
export async function probeWrite(dir: string): Promise<void> {
  const probe = path.join(dir, `.probe.${uniqueSuffix()}.tmp`);
  const file = await open(probe, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o640);
  try {
    try {
      await file.writeFile('probe');
      await file.sync();
    } finally {
      await file.close();
    }
  } finally {
    await rm(probe, { force: true });
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

function statOrUndefined(p: string, dir: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // the parent is looked at next
    throw new BaseDirError(dir, `cannot look at ${p}: ${(e as Error).message}`);
  }
}

/** Refuses `p` (an existing path) on a pseudo file system; a warning for a memory one. */
function checkFileSystem(dir: string, p: string): string[] {
  let real: string;
  let type: number;
  try {
    real = fs.realpathSync(p);
    type = fs.statfsSync(real).type;
  } catch (e) {
    throw new BaseDirError(dir, `cannot look at ${p}: ${(e as Error).message}`);
  }
  const under = PSEUDO_DIRS.find((d) => real === d || real.startsWith(`${d}/`));
  if (under !== undefined) throw new BaseDirError(dir, `${real} is under ${under}, a kernel pseudo file system`);
  const pseudo = PSEUDO_FS.get(type);
  if (pseudo !== undefined) throw new BaseDirError(dir, `${real} is on ${pseudo}, a kernel pseudo file system`);
  const volatile = VOLATILE_FS.get(type);
  return volatile === undefined
    ? []
    : [`base_dir ${dir} is on ${volatile} (memory): every watermark is lost at reboot; keep base_dir on a disk`];
}
