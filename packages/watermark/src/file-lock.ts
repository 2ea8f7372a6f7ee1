import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SignatoryError } from '@signatory-ts/core';
import { clearLegacyLocks } from './legacy-lock';

/**
 * A cross-process lock on a file, held by the kernel: an open-file-description lock (Linux
 * `fcntl(F_OFD_SETLK)`; `flock` on macOS; through fs-native-extensions) on `<target>.ofd-lock`, a
 * regular file that is never deleted. The kernel releases it when its holder closes the file or
 * dies, however it dies (kill -9 included), and never while the holder lives, however long it is
 * paused. So there is nothing to guess: no pid, PID namespace or start time is looked at, no lock
 * is ever taken over, and none is ever left behind. It works across PID namespaces (containers)
 * sharing a volume, on one host: one kernel. Two descriptors exclude each other even in one
 * process, so two stores on one base_dir in one process wait for each other too.
 *
 * The holder writes `{pid, hostname}` into the file after taking the lock, for the message of a
 * waiter that gives up after `timeoutMs` (WatermarkLockError, nothing changed), and empties it when
 * it releases the lock: a record found by the next holder means its predecessor died holding the
 * lock (whatever it was writing was left behind).
 *
 * Nothing but the kernel decides who holds the lock; the record and the path are checked only to
 * catch what would defeat it: a lock file deleted or replaced (the holder then locks a file nobody
 * else opens) is detected before the lock is used and before every commit's rename.
 */

/** Who holds a lock, as its holder recorded it (the pid is one of its own PID namespace). */
export interface LockHolder {
  pid: number;
  hostname: string;
}

/** The watermark file's cross-process lock could not be taken. Nothing was signed or changed. */
export class WatermarkLockError extends SignatoryError {
  constructor(
    readonly lockFile: string,
    readonly problem: string,
    readonly holder?: LockHolder,
  ) {
    super('internal', `cannot lock watermark file: ${lockFile} ${problem}. Nothing was signed`);
  }
}

const HOST = hostname();
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0; // undefined on Windows

/** The kernel lock's binding, loaded on first use: a platform it does not run on fails commits and the start-up check, saying why. */
let native: { tryLock(fd: number): boolean } | undefined;
function tryKernelLock(fd: number): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  native ??= require('fs-native-extensions') as { tryLock(fd: number): boolean };
  return native.tryLock(fd);
}

const PROCESS_NONCE = randomBytes(8).toString('hex');
let uniqueCounter = 0;

/**
 * A string no other call, in this process or any other, returns: pid, a random nonce drawn once
 * per process (a recycled pid gets another), and a counter. For temporary file names; cheaper than
 * random bytes on every commit.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${PROCESS_NONCE}.${++uniqueCounter}`;
}

export interface HeldLock {
  /** True when the previous holder died holding the lock: whatever it was writing was left behind. */
  readonly previousHolderDied: boolean;
  /** Throws unless the lock file is still the one locked (it was not deleted or replaced). */
  assertHeld(): void;
  /** Empties the holder record and closes the file, which releases the lock. */
  release(): void;
}

/** Why a try did not get the lock. */
interface Busy {
  readonly problem?: string;
  readonly holder?: LockHolder;
}

export class FileLock {
  readonly lockFile: string;

  constructor(
    private readonly target: string,
    private readonly timeoutMs: number,
  ) {
    this.lockFile = `${target}.ofd-lock`;
  }

  async acquire(): Promise<HeldLock> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const a = this.attempt();
      if ('release' in a) return a;
      if (Date.now() >= deadline) throw this.refusal(a);
      await sleep(5 + Math.random() * 10);
    }
  }

  /** One try, without waiting: the lock, or why not. */
  private attempt(): HeldLock | Busy {
    const file = this.lockFile;
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | O_NOFOLLOW, 0o640);
    } catch (e) {
      const why =
        (e as NodeJS.ErrnoException).code === 'ELOOP'
          ? 'is a symbolic link, not a lock file: remove it'
          : `cannot be opened: ${(e as Error).message}`;
      throw new WatermarkLockError(file, why);
    }
    let held: HeldLock | undefined;
    try {
      if (!lockOrThrow(fd, file)) return {};
      const locked = fs.fstatSync(fd, { bigint: true });
      if (!isFileAt(file, locked)) return {}; // deleted or replaced since it was opened: open it again
      const legacy = clearLegacyLocks(this.target);
      if (legacy.problem !== undefined) return legacy;
      const previousHolderDied = locked.size > 0n || legacy.removed;
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, hostname: HOST } satisfies LockHolder), 0);
      const assertHeld = () => {
        if (!isFileAt(file, locked)) {
          throw new WatermarkLockError(
            file,
            'was deleted or replaced while this process held its lock. Never delete lock files while a signer runs',
          );
        }
      };
      held = {
        previousHolderDied,
        assertHeld,
        release: () => {
          try {
            fs.ftruncateSync(fd, 0);
          } finally {
            fs.closeSync(fd);
          }
        },
      };
      return held;
    } finally {
      if (held === undefined) fs.closeSync(fd);
    }
  }

  private refusal(a: Busy): WatermarkLockError {
    if (a.problem !== undefined) return new WatermarkLockError(this.lockFile, a.problem, a.holder);
    const h = readHolder(this.lockFile);
    const who = h === undefined ? 'another process' : `process ${h.pid} on ${h.hostname}`;
    return new WatermarkLockError(
      this.lockFile,
      `has been held by ${who} for more than ${this.timeoutMs} ms. That process is alive (the kernel releases its lock ` +
        `when it exits) and paused, stuck or busy: let it finish, or stop it${h === undefined ? '' : ` (kill ${h.pid}, a pid of its own PID namespace)`}`,
      h,
    );
  }
}

/** The kernel lock on `fd`, or false when another open file holds it; a file system without locks is an error. */
function lockOrThrow(fd: number, file: string): boolean {
  try {
    return tryKernelLock(fd);
  } catch (e) {
    throw new WatermarkLockError(
      file,
      `cannot be locked (${(e as Error).message}). base_dir must be on a local file system with working file locks`,
    );
  }
}

/** True when `file` is the file `locked` (fstat of the locked descriptor) describes. */
function isFileAt(file: string, locked: fs.BigIntStats): boolean {
  const now = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return now !== undefined && now.ino === locked.ino && now.dev === locked.dev;
}

/** The record the lock's holder wrote, if any and readable. */
function readHolder(file: string): LockHolder | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (Number.isSafeInteger(r.pid) && typeof r.hostname === 'string') return { pid: r.pid!, hostname: r.hostname };
  } catch {
    // empty (the holder has not written it yet), or not ours: the message names no process
  }
  return undefined;
}

/**
 * Checks that files in `dir` can be locked and that locks exclude each other: a probe file locked
 * through one descriptor must be refused through another. Some network and FUSE file systems lack
 * locks, or grant every one; on those the file store would not be safe for several processes.
 * Throws an Error saying which.
 */
export function probeLock(dir: string): void {
  const probe = path.join(dir, `.probe.${uniqueSuffix()}.tmp`);
  const fds = [fs.openSync(probe, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o640)];
  try {
    fds.push(fs.openSync(probe, fs.constants.O_RDWR));
    let first: boolean;
    try {
      first = tryKernelLock(fds[0]!);
    } catch (e) {
      throw new Error(`files cannot be locked here (${(e as Error).message})`);
    }
    if (!first) throw new Error('a new file could not be locked');
    if (tryKernelLock(fds[1]!)) throw new Error('file locks do not exclude each other here (a network or FUSE file system?)');
  } finally {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(probe, { force: true });
  }
}
