import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SignatoryError } from '@signatory-ts/core';

/**
 * A cross-process lock for processes on ONE host, that is never taken from a live holder.
 *
 * The lock is `<target>.lock`, a symbolic link whose target is the record `{pid, hostname, token,
 * bootId}` as JSON. `symlink` fails with EEXIST when the lock exists (like `open(O_CREAT|O_EXCL)`),
 * and the record is part of the link, so a lock is never seen half-written. A regular file holding
 * a record (what earlier versions wrote) is read the same way. A lock is taken over only when its
 * hostname is this host's and its holder is dead (`process.kill(pid, 0)` gives ESRCH, or it was
 * taken before the last reboot). A live holder — however long it is paused — keeps the lock;
 * waiters give up after `timeoutMs` with a WatermarkLockError, having changed nothing.
 *
 * Taking over a dead holder's lock is itself serialized by `<target>.lock.takeover` (taken the same
 * way), so two waiters can never both remove a lock and one of them remove a live holder's. A
 * process that dies in that few-microsecond step leaves the takeover file behind; the next waiter
 * refuses with a WatermarkLockError naming it rather than guess.
 */

interface LockRecord {
  pid: number;
  hostname: string;
  token: string;
  bootId?: string;
}

/** The watermark file's cross-process lock could not be taken. Nothing was signed or changed. */
export class WatermarkLockError extends SignatoryError {
  constructor(
    readonly lockFile: string,
    readonly problem: string,
    readonly holder?: { pid: number; hostname: string },
  ) {
    super('internal', `cannot lock watermark file: ${lockFile} ${problem}. Nothing was signed`);
  }
}

const HOST = hostname();
const BOOT_ID = (() => {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined; // not Linux: a lock from before a reboot needs its pid to be dead (or an operator)
  }
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROCESS_NONCE = randomBytes(8).toString('hex');
let uniqueCounter = 0;

/**
 * A string no other call, in this process or any other, returns: pid, a random nonce drawn once
 * per process (a recycled pid gets another), and a counter. For lock tokens and temporary file
 * names; cheaper than random bytes on every commit.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${PROCESS_NONCE}.${++uniqueCounter}`;
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (Number.isSafeInteger(r.pid) && (r.pid as number) > 0 && typeof r.hostname === 'string' && typeof r.token === 'string') {
      return { pid: r.pid!, hostname: r.hostname, token: r.token, ...(typeof r.bootId === 'string' ? { bootId: r.bootId } : {}) };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** True only when the holder is certainly gone: same host, and its pid is dead or from an earlier boot. */
function holderIsDead(r: LockRecord): boolean {
  if (r.hostname !== HOST) return false;
  if (r.bootId !== undefined && BOOT_ID !== undefined && r.bootId !== BOOT_ID) return true;
  try {
    process.kill(r.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

/** A lock's record: a symbolic link's target (what this signer makes), or a regular file's text (earlier versions). */
function readLockText(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EINVAL') return fs.readFileSync(file, 'utf8'); // not a link
    throw e;
  }
}

export interface HeldLock {
  /** Throws unless the lock file still holds this lock's record. */
  assertHeld(): void;
  /** Removes the lock file, after checking that it is still this lock. */
  release(): void;
}

type Attempt = { held: true } | { held: false; holder: LockRecord | undefined; problem?: string };

export class FileLock {
  readonly lockFile: string;
  private readonly takeoverFile: string;

  constructor(
    target: string,
    private readonly timeoutMs: number,
  ) {
    this.lockFile = `${target}.lock`;
    this.takeoverFile = `${target}.lock.takeover`;
  }

  async acquire(): Promise<HeldLock> {
    const record: LockRecord = { pid: process.pid, hostname: HOST, token: uniqueSuffix(), ...(BOOT_ID ? { bootId: BOOT_ID } : {}) };
    const text = JSON.stringify(record);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const a = this.attempt(text, record);
      if (a.held) break;
      if (Date.now() >= deadline) throw this.refusal(a);
      await sleep(5 + Math.random() * 10);
    }
    const assertHeld = () => {
      let current: string;
      try {
        current = readLockText(this.lockFile);
      } catch (e) {
        current = `(${(e as Error).message})`;
      }
      if (parseRecord(current)?.token !== record.token) {
        throw new WatermarkLockError(this.lockFile, `no longer holds this process's lock (found ${current.slice(0, 200)})`);
      }
    };
    return {
      assertHeld,
      release: () => {
        assertHeld();
        fs.unlinkSync(this.lockFile);
      },
    };
  }

  /** One try: take the lock if free, take it over if its holder is dead, else report the holder. */
  private attempt(text: string, record: LockRecord): Attempt {
    if (this.create(this.lockFile, text)) return { held: true };
    const holder = this.readRecord(this.lockFile);
    if (holder === 'gone') return { held: false, holder: undefined }; // released meanwhile: try again
    if (holder === undefined) return { held: false, holder, problem: 'exists but holds no lock record (empty or foreign)' };
    if (!holderIsDead(holder)) return { held: false, holder };
    // the holder is dead: remove its lock, serialized with every other process doing the same
    if (!this.create(this.takeoverFile, JSON.stringify({ ...record, token: `${record.token}-takeover` }))) {
      const taker = this.readRecord(this.takeoverFile);
      if (taker !== 'gone' && (taker === undefined || holderIsDead(taker))) {
        return {
          held: false,
          holder,
          problem: `is held by dead process ${holder.pid}, and ${this.takeoverFile} was left by a process that died taking it over. Check that no signatory process is running, then delete both files`,
        };
      }
      return { held: false, holder };
    }
    try {
      // only the takeover holder removes a dead holder's lock, and a dead holder never releases it:
      // it is still the same lock file we looked at
      const again = this.readRecord(this.lockFile);
      if (again !== 'gone' && again !== undefined && again.token === holder.token && holderIsDead(again)) {
        fs.unlinkSync(this.lockFile);
      }
    } finally {
      fs.unlinkSync(this.takeoverFile);
    }
    return this.attempt(text, record);
  }

  private refusal(a: Attempt & { held: false }): WatermarkLockError {
    const h = a.holder;
    if (a.problem !== undefined || h === undefined) {
      return new WatermarkLockError(this.lockFile, a.problem ?? `stayed busy for ${this.timeoutMs} ms`, h);
    }
    if (h.hostname !== HOST) {
      return new WatermarkLockError(
        this.lockFile,
        `is held by process ${h.pid} on another host (${h.hostname}). The file watermark store is for processes on one ` +
          'host; signers on several hosts need a shared store. If that process is gone, delete the lock file',
        h,
      );
    }
    return new WatermarkLockError(
      this.lockFile,
      `has been held by process ${h.pid} for more than ${this.timeoutMs} ms. That process is alive (paused, stuck or ` +
        `busy): let it finish, or stop it (kill ${h.pid}); its lock is then taken over automatically`,
      h,
    );
  }

  /**
   * Creates `file` holding `text` only if it does not exist; false when it does. The lock is a
   * symbolic link whose target is the record: one system call makes it, it is never seen
   * half-written, and no temporary file is needed.
   */
  private create(file: string, text: string): boolean {
    try {
      fs.symlinkSync(text, file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new WatermarkLockError(file, `cannot be created: ${(e as Error).message}`);
    }
  }

  private readRecord(file: string): LockRecord | undefined | 'gone' {
    try {
      return parseRecord(readLockText(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      return undefined; // EISDIR (an older signer's lock directory) and the like: not ours to remove
    }
  }
}
