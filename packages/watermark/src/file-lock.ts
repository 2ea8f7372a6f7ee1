import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SignatoryError } from '@signatory-ts/core';

/**
 * A cross-process lock for processes on ONE host, that is never taken from a live holder.
 *
 * The lock is `<target>.lock`, a symbolic link whose target is the record `{pid, hostname, token,
 * bootId, pidNs, startTime}` as JSON. `symlink` fails with EEXIST when the lock exists (like
 * `open(O_CREAT|O_EXCL)`), and the record is part of the link, so a lock is never seen half-written.
 * A regular file holding a record, and records without `pidNs`/`startTime` (what earlier versions
 * wrote), are read too.
 *
 * A pid alone does not name a process: pids are recycled, and a signer that is PID 1 in a
 * container is PID 1 again after a restart. So a holder is told apart by its pid, its PID
 * namespace (`/proc/self/ns/pid`) and its start time (`/proc/<pid>/stat` field 22). A lock is taken
 * over only when its hostname is this host's and its holder is certainly dead:
 * - it was taken before the last reboot (another boot id);
 * - same PID namespace: no process has its pid any more, or the one that has started at another time,
 *   or it is a zombie (dead, not yet reaped by its parent);
 * - another PID namespace but this process's own pid, and made before this process started: a
 *   previous run of this signer (a container restarted gets a new namespace and, as PID 1, the same
 *   pid), dead before this one started;
 * - a record without namespace and start time (earlier versions): its pid is dead here, or it is
 *   this process's own pid and the record was made before this process started.
 * Any other record from another PID namespace cannot be checked from here (a shared volume): it
 * is refused, with a message saying what to check and how to clear it. A live holder — however
 * long it is paused — keeps the lock; waiters give up after `timeoutMs` with a WatermarkLockError,
 * having changed nothing.
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
  /** `pid:[<inode>]`, the holder's PID namespace (Linux). */
  pidNs?: string;
  /** The holder's start time, clock ticks after boot (`/proc/<pid>/stat` field 22). */
  startTime?: string;
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
const BOOT_ID = readProc(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());

/** `undefined` where /proc cannot tell (not Linux; a /proc mounted for another PID namespace). */
function readProc<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** State (field 3) and start time (field 22) of /proc/<pid>/stat (after the command name, which may hold spaces). */
function procStat(pid: number | 'self'): { state: string; startTime: string } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, startTime] = [fields[0], fields[19]];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) throw new Error(`unexpected /proc/${pid}/stat`);
  return { state, startTime };
}

/** This process's PID namespace and start time, if /proc shows this process's own namespace. */
const SELF: { pidNs: string; startTime: string } | undefined = readProc(() => {
  if (fs.readlinkSync('/proc/self') !== String(process.pid)) return undefined;
  return { pidNs: fs.readlinkSync('/proc/self/ns/pid'), startTime: procStat('self').startTime };
});

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
      const out: LockRecord = { pid: r.pid!, hostname: r.hostname, token: r.token };
      for (const k of ['bootId', 'pidNs', 'startTime'] as const) if (typeof r[k] === 'string') out[k] = r[k];
      return out;
    }
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * `dead` only when the holder is certainly gone; `unknown` when it cannot be told from here. `file`
 * is where the record was read (its time tells a previous run of this process from a live one).
 */
function holderState(r: LockRecord, file: string): 'alive' | 'dead' | 'unknown' {
  if (r.hostname !== HOST) return 'unknown';
  if (r.bootId !== undefined && BOOT_ID !== undefined && r.bootId !== BOOT_ID) return 'dead';
  if (r.pidNs !== undefined || r.startTime !== undefined) {
    if (SELF === undefined || r.pidNs === undefined || r.startTime === undefined) return 'unknown';
    if (r.pidNs !== SELF.pidNs) return r.pid === process.pid && takenBeforeThisProcess(file) ? 'dead' : 'unknown';
    const stat = readProc(() => procStat(r.pid));
    if (stat === undefined) return fs.existsSync(`/proc/${r.pid}`) ? 'alive' : 'dead';
    // another start time: a recycled pid; a zombie (Z, X): dead, waiting for its parent to reap it
    return stat.startTime === r.startTime && stat.state !== 'Z' && stat.state !== 'X' ? 'alive' : 'dead';
  }
  // an earlier version's record: no namespace or start time. With this process's own pid, from before this process
  // started, it is a previous run's (a PID 1 signer upgraded and restarted); a live process with this pid made it
  // while this process runs
  if (r.pid === process.pid) return takenBeforeThisProcess(file) ? 'dead' : 'alive';
  try {
    process.kill(r.pid, 0);
    return 'alive';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'alive'; // EPERM: alive, another user's
  }
}

/**
 * True when `file` was made before this process started: a previous run of this process must have
 * made it then, having died before this one started. A live signer with the same pid in another PID
 * namespace (two containers, both PID 1 under one hostname, on one base_dir) takes its locks while
 * this one runs, so its locks are newer: waited for, never taken over. Wall-clock times: a clock
 * stepped forward only makes locks look newer (refused); one stepped back by D, or a file system's
 * coarse timestamps, make a namesake's lock taken within D (or a tick) of this start look older.
 */
function takenBeforeThisProcess(file: string): boolean {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  return st !== undefined && st.mtimeMs < performance.timeOrigin;
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
  /** True when a dead holder's lock was taken over: whatever it was writing was left behind. */
  readonly tookOver: boolean;
  /** Throws unless the lock file still holds this lock's record. */
  assertHeld(): void;
  /** Removes the lock file, after checking that it is still this lock. */
  release(): void;
}

type Attempt = { held: true; tookOver: boolean } | { held: false; holder: LockRecord | undefined; problem?: string };

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
    const record: LockRecord = { pid: process.pid, hostname: HOST, token: uniqueSuffix(), ...(BOOT_ID ? { bootId: BOOT_ID } : {}), ...SELF };
    const text = JSON.stringify(record);
    const deadline = Date.now() + this.timeoutMs;
    let tookOver: boolean;
    for (;;) {
      const a = this.attempt(text, record);
      if (a.held) {
        tookOver = a.tookOver;
        break;
      }
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
      tookOver,
      assertHeld,
      release: () => {
        assertHeld();
        fs.unlinkSync(this.lockFile);
      },
    };
  }

  /** One try: take the lock if free, take it over if its holder is dead, else report the holder. */
  private attempt(text: string, record: LockRecord): Attempt {
    if (this.create(this.lockFile, text)) return { held: true, tookOver: false };
    const holder = this.readRecord(this.lockFile);
    if (holder === 'gone') return { held: false, holder: undefined }; // released meanwhile: try again
    if (holder === undefined) return { held: false, holder, problem: 'exists but holds no lock record (empty or foreign)' };
    if (holderState(holder, this.lockFile) !== 'dead') return { held: false, holder };
    // the holder is dead: remove its lock, serialized with every other process doing the same
    if (!this.create(this.takeoverFile, JSON.stringify({ ...record, token: `${record.token}-takeover` }))) {
      const taker = this.readRecord(this.takeoverFile);
      if (taker !== 'gone' && (taker === undefined || holderState(taker, this.takeoverFile) === 'dead')) {
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
      if (again !== 'gone' && again !== undefined && again.token === holder.token && holderState(again, this.lockFile) === 'dead') {
        fs.unlinkSync(this.lockFile);
      }
    } finally {
      fs.unlinkSync(this.takeoverFile);
    }
    const next = this.attempt(text, record);
    return next.held ? { held: true, tookOver: true } : next;
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
    if (holderState(h, this.lockFile) === 'unknown') {
      return new WatermarkLockError(
        this.lockFile,
        `is held by process ${h.pid} of another PID namespace (${h.pidNs ?? 'unknown'}, this process: ${SELF?.pidNs ?? 'unknown'}), ` +
          'whose liveness cannot be checked from here (a base_dir shared between containers?). Check that no other ' +
          'signatory process using this base_dir is running (in other containers too), then delete the lock file',
        h,
      );
    }
    const own =
      h.pid === process.pid
        ? ` (This process's own pid: if that record was left by an earlier run of this signer, e.g. as PID 1 in a ` +
          'container, and no other signatory uses this base_dir, delete the lock file.)'
        : '';
    return new WatermarkLockError(
      this.lockFile,
      `has been held by process ${h.pid} for more than ${this.timeoutMs} ms. That process is alive (paused, stuck or ` +
        `busy): let it finish, or stop it (kill ${h.pid}); its lock is then taken over automatically${own}`,
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
