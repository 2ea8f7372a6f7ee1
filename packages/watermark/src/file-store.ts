import fs from 'node:fs';
import path from 'node:path';
import { b58Decode, compareWatermark, PKH_PREFIXES, SignatoryError, type Mark, type Slot } from '@signatory-ts/core';
import {
  formatChainMarks,
  parseChainMarks,
  readSlot,
  removeSlot,
  slotsOf,
  writeSlot,
  WatermarkFileError,
  type ChainMarks,
} from './watermark-file';
import { KeyedLock } from './slot-lock';
import { removeDeadTemps, replaceDurably } from './durable-replace';
import { FileLock, WatermarkLockError } from './file-lock';
import { makeDir, probeWrite } from './base-dir';
import { checkMark, type CommitResult, type SignedMark, type WatermarkIoObserver, type WatermarkStore } from './watermark-store';

export interface FileWatermarkStoreOptions {
  /** Signatory's `base_dir`; marks live in `<baseDir>/watermark_v2/<chain-id>.json`. */
  readonly baseDir: string;
  /**
   * How long a commit waits for another live process's lock on the chain file before it fails with
   * a WatermarkLockError (nothing signed). Default 5 000 ms. A commit holds the lock for one read,
   * one write and two fsyncs; the kernel keeps a live holder's lock, however long it is paused.
   */
  readonly lockTimeoutMs?: number;
  /** Told of every chain file read and write, with its duration and error type (metrics). */
  readonly onIo?: WatermarkIoObserver;
}

interface Pending {
  readonly slot: Slot;
  readonly next: SignedMark;
  readonly resolve: (r: CommitResult) => void;
  readonly reject: (e: unknown) => void;
}

const CHAIN_FILE = /^Net[1-9A-HJ-NP-Za-km-z]+\.json$/;

/**
 * The default store: one JSON file per chain, Go Signatory's layout plus the released signature.
 *
 * - crash-safe: every change is written to a temporary file in the same directory, fsynced, renamed
 *   over the chain file, and the directory is fsynced; the file is always the old or the new whole;
 * - several processes on one base_dir, on ONE host: every commit and reset takes a cross-process
 *   lock on the chain file (FileLock: a kernel lock on `<file>.ofd-lock`, released by the kernel
 *   when its holder exits), then RE-READS the file before comparing — there is no in-memory copy
 *   to go stale;
 * - group commit: commits for one chain file that arrive while it is being written wait and then
 *   go together: one lock, one read, each compared in arrival order, one write with two fsyncs. A
 *   baker's keys attest at the same moment, so they share the disk's flushes instead of queueing
 *   for one each. A failed write fails every commit of its group (nothing released);
 * - a missing file means "no marks yet"; an empty, truncated or malformed file is refused with a
 *   WatermarkFileError (never reset), so nothing is signed until an operator looks.
 *
 * The small file operations (read, open, write, the lock's open, fcntl and close) are synchronous:
 * on a local disk they take microseconds, less than a thread-pool round trip. The two fsyncs and
 * the rename, which wait for the disk or its journal, run on the thread pool, so the event loop
 * keeps serving other requests while a commit is flushed.
 */
export class FileWatermarkStore implements WatermarkStore {
  readonly name = 'file';
  readonly dir: string;
  private readonly lockTimeoutMs: number;
  private readonly onIo: WatermarkIoObserver | undefined;
  /** One writer per chain file in this process, so only other processes contend for the file lock. */
  private readonly fileLocks = new KeyedLock();
  /** Chain ids and key hashes already checked (base58 with its checksum is not free; a signer sees a few). */
  private readonly checked = new Set<string>();
  /** Commits waiting for the next group write of their chain file. */
  private readonly pending = new Map<string, Pending[]>();
  /** Chain files whose directory this store has cleared of dead writers' temporary files. */
  private readonly swept = new Set<string>();
  private dirMade = false;
  /** Chain files whose last commit, reset or read failed, with the error's message (see health()). */
  private readonly failures = new Map<string, string>();
  private checking: Promise<string | undefined> | undefined;

  constructor(options: FileWatermarkStoreOptions) {
    this.dir = path.join(options.baseDir, 'watermark_v2');
    this.lockTimeoutMs = Math.max(0, options.lockTimeoutMs ?? 5000);
    this.onIo = options.onIo;
  }

  /** The file that holds the slot's marks; the chain id and pkh must be valid base58 (they become a file name and a key). */
  fileFor(slot: Slot): string {
    for (const [what, text, prefixes] of [
      ['chain id', slot.chainId, ['Net']],
      ['key hash', slot.pkh, PKH_PREFIXES],
    ] as const) {
      const key = `${prefixes[0]}:${text}`;
      if (this.checked.has(key)) continue;
      try {
        b58Decode(text, prefixes);
      } catch (e) {
        throw new SignatoryError('bad_request', `watermark slot: invalid ${what}: ${(e as Error).message}`);
      }
      if (this.checked.size >= 4096) this.checked.clear();
      this.checked.add(key);
    }
    return path.join(this.dir, `${slot.chainId}.json`);
  }

  async get(slot: Slot): Promise<Mark | undefined> {
    const file = this.fileFor(slot);
    try {
      // a rename replaces the file whole, so a read without the lock sees the old or the new file
      return readSlot(this.read(file).marks, slot.pkh, slot.kind);
    } catch (e) {
      this.failed(file, e); // cleared by a commit or a re-check, not by a read
      throw e;
    }
  }

  commit(slot: Slot, next: SignedMark): Promise<CommitResult> {
    try {
      checkMark(slot, next);
      const file = this.fileFor(slot);
      return new Promise((resolve, reject) => {
        const queue = this.pending.get(file);
        if (queue !== undefined) return queue.push({ slot, next, resolve, reject });
        const group = [{ slot, next, resolve, reject }];
        this.pending.set(file, group);
        void this.fileLocks.run(file, () => this.flush(file, group));
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Writes every commit queued for `file` so far as one group (runs holding this process's file lock). */
  private async flush(file: string, group: Pending[]): Promise<void> {
    if (this.pending.get(file) === group) this.pending.delete(file); // later commits start a new group
    try {
      const results = await this.tracked(file, () =>
        this.crossProcessLocked(file, async (assertHeld) => {
          const { marks, exists } = this.read(file);
          let changed = false;
          const out = group.map(({ slot, next }): CommitResult => {
            const stored = readSlot(marks, slot.pkh, slot.kind);
            switch (compareWatermark(stored, next)) {
              case 'reject':
                return { status: 'rejected', stored: stored! };
              case 'replay':
                return { status: 'replay', signature: stored!.signature! };
              case 'advance':
                writeSlot(marks, slot.pkh, slot.kind, next);
                changed = true;
                return { status: 'committed' };
            }
          });
          if (changed) await this.write(file, formatChainMarks(marks), exists, assertHeld);
          return out;
        }),
      );
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (e) {
      for (const p of group) p.reject(e);
    }
  }

  async *list(): AsyncIterable<[Slot, Mark]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names.filter((n) => CHAIN_FILE.test(n)).sort()) {
      const chainId = name.slice(0, -'.json'.length);
      for (const [pkh, kind, mark] of slotsOf(this.read(path.join(this.dir, name)).marks)) {
        yield [{ chainId, pkh, kind }, mark];
      }
    }
  }

  async reset(slot: Slot): Promise<boolean> {
    const file = this.fileFor(slot);
    // commits issued after this reset must not join a group queued before it (they would be undone)
    this.pending.delete(file);
    return this.fileLocks.run(file, () =>
      this.tracked(file, () =>
        this.crossProcessLocked(file, async (assertHeld) => {
          const { marks, exists } = this.read(file);
          if (!removeSlot(marks, slot.pkh, slot.kind)) return false;
          await this.write(file, formatChainMarks(marks), exists, assertHeld);
          return true;
        }),
      ),
    );
  }

  /**
   * Undefined while the store works; else why the last commit, reset or read of a chain file failed.
   * A failure is re-checked on every call — that file's lock taken, the file read and parsed, a
   * probe file written and fsynced in its directory, as a commit would — so the answer turns back
   * to undefined as soon as commits would work again, even with no request coming (a signer
   * drained by its load balancer on a failure must be able to come back). For /healthz.
   */
  health(): Promise<string | undefined> {
    return (this.checking ??= this.recheck().finally(() => (this.checking = undefined)));
  }

  private async recheck(): Promise<string | undefined> {
    // every failing file at once: each has its own lock, and /healthz should not wait for them in turn
    await Promise.all(
      [...this.failures.keys()].map(
        (file) =>
          this.fileLocks
            .run(file, () =>
              this.tracked(file, () =>
                this.crossProcessLocked(file, async () => {
                  this.read(file);
                  await probeWrite(this.dir);
                }),
              ),
            )
            .catch(() => undefined), // recorded by tracked()
      ),
    );
    return this.failures.values().next().value;
  }

  /** Runs a storage operation on `file`, recording its failure or success for health(). */
  private async tracked<T>(file: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      this.failures.delete(file);
      return r;
    } catch (e) {
      this.failed(file, e);
      throw e;
    }
  }

  /** Records why `file` failed; a few chain files are enough to tell (clients choose chain ids). */
  private failed(file: string, e: unknown): void {
    this.failures.delete(file);
    if (this.failures.size >= 16) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(file, (e as Error).message);
  }

  private read(file: string): { marks: ChainMarks; exists: boolean } {
    const t0 = performance.now();
    try {
      const marks = parseChainMarks(fs.readFileSync(file, 'utf8'), file);
      this.observe('read', t0);
      return { marks, exists: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.observe('read', t0);
        return { marks: {}, exists: false };
      }
      this.observe('read', t0, ioErrorType(e));
      if (e instanceof WatermarkFileError) throw e;
      throw new SignatoryError('internal', `cannot read watermark file ${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async write(file: string, text: string, exists: boolean, assertHeld: () => void): Promise<void> {
    const operation = exists ? 'write' : 'create';
    const t0 = performance.now();
    try {
      await replaceDurably(this.dir, file, text, assertHeld);
    } catch (e) {
      this.observe(operation, t0, ioErrorType(e));
      throw e;
    }
    this.observe(operation, t0);
  }

  private observe(operation: 'read' | 'write' | 'create', t0: number, error?: string): void {
    try {
      this.onIo?.({ operation, seconds: (performance.now() - t0) / 1000, ...(error === undefined ? {} : { error }) });
    } catch {
      // a metrics observer must not turn a durable commit into a failure
    }
  }

  /**
   * Removes the temporary files of `file` that writers killed mid-write left behind (`kill -9`).
   * Runs holding `file`'s lock: a writer creates, renames or removes its temporary file only while
   * it holds that lock, so every one found now belongs to a writer that died holding it — never
   * to a live one. Done at this store's first commit on the file (leftovers from earlier runs) and
   * whenever the lock's previous holder died holding it (a writer died just now). Best effort.
   */
  private removeDeadTemps(file: string): void {
    // best effort: a leftover costs disk space, never a signature; tried again at the next commit if this failed
    if (removeDeadTemps(this.dir, file)) this.swept.add(file);
  }

  /** Runs `fn` holding the cross-process lock on `file` (callers hold this process's lock on it). */
  private async crossProcessLocked<T>(file: string, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
    // made once, not on every commit: a directory removed later fails commits instead of coming back
    // empty, which would silently forget every mark
    if (!this.dirMade) {
      makeDir(this.dir);
      this.dirMade = true;
    }
    const lock = await new FileLock(file, this.lockTimeoutMs).acquire();
    let result: T;
    try {
      if (lock.previousHolderDied || !this.swept.has(file)) this.removeDeadTemps(file);
      result = await fn(lock.assertHeld);
    } catch (e) {
      try {
        lock.release();
      } catch {
        // the first error is the one to report
      }
      throw e;
    }
    lock.release();
    return result;
  }
}

/** The `error_type` of a failed file operation: the errno code, `corrupt` or `lock`. */
function ioErrorType(e: unknown): string {
  if (e instanceof WatermarkFileError) return 'corrupt';
  if (e instanceof WatermarkLockError) return 'lock';
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : 'unknown';
}
