import { promises as fs, constants as fsc } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { b58Decode, compareWatermark, SignatoryError, type Mark, type Slot } from '@signatory-ts/core';
import {
  formatChainMarks,
  parseChainMarks,
  readSlot,
  removeSlot,
  slotsOf,
  writeSlot,
  type ChainMarks,
} from './watermark-file';
import { KeyedLock } from './slot-lock';
import { FileLock } from './file-lock';
import { checkMark, type CommitResult, type SignedMark, type WatermarkStore } from './watermark-store';

export interface FileWatermarkStoreOptions {
  /** Signatory's `base_dir`; marks live in `<baseDir>/watermark_v2/<chain-id>.json`. */
  readonly baseDir: string;
  /**
   * How long a commit waits for another live process's lock on the chain file before it fails with
   * a WatermarkLockError (nothing signed). Default 5 000 ms. A commit holds the lock for one read,
   * one write and two fsyncs; a live holder's lock is never taken over, however long it is paused.
   */
  readonly lockTimeoutMs?: number;
}

const CHAIN_FILE = /^Net[1-9A-HJ-NP-Za-km-z]+\.json$/;

/**
 * The default store: one JSON file per chain, Go Signatory's layout plus the released signature.
 *
 * - crash-safe: every change is written to a temporary file in the same directory, fsynced, renamed
 *   over the chain file, and the directory is fsynced; the file is always the old or the new whole;
 * - several processes on one base_dir, on ONE host: every commit and reset takes a cross-process
 *   lock on the chain file (FileLock: `<file>.lock` with the holder's pid, taken over only once
 *   that pid is dead), then RE-READS the file before comparing — there is no in-memory copy to go
 *   stale;
 * - a missing file means "no marks yet"; an empty, truncated or malformed file is refused with a
 *   WatermarkFileError (never reset), so nothing is signed until an operator looks.
 */
export class FileWatermarkStore implements WatermarkStore {
  readonly name = 'file';
  readonly dir: string;
  private readonly lockTimeoutMs: number;
  /** Commits in this process queue here first, so only other processes contend for the file lock. */
  private readonly fileLocks = new KeyedLock();

  constructor(options: FileWatermarkStoreOptions) {
    this.dir = path.join(options.baseDir, 'watermark_v2');
    this.lockTimeoutMs = Math.max(0, options.lockTimeoutMs ?? 5000);
  }

  /** The file that holds the slot's marks; the chain id and pkh must be valid base58 (they become a file name and a key). */
  fileFor(slot: Slot): string {
    for (const [what, text, prefixes] of [
      ['chain id', slot.chainId, ['Net']],
      ['key hash', slot.pkh, ['tz1', 'tz2', 'tz3', 'tz4']],
    ] as const) {
      try {
        b58Decode(text, prefixes);
      } catch (e) {
        throw new SignatoryError('bad_request', `watermark slot: invalid ${what}: ${(e as Error).message}`);
      }
    }
    return path.join(this.dir, `${slot.chainId}.json`);
  }

  async get(slot: Slot): Promise<Mark | undefined> {
    // a rename replaces the file whole, so a read without the lock sees the old or the new file
    return readSlot(await this.read(this.fileFor(slot)), slot.pkh, slot.kind);
  }

  async commit(slot: Slot, next: SignedMark): Promise<CommitResult> {
    checkMark(slot, next);
    const file = this.fileFor(slot);
    return this.locked(file, async (assertHeld) => {
      const marks = await this.read(file);
      const stored = readSlot(marks, slot.pkh, slot.kind);
      switch (compareWatermark(stored, next)) {
        case 'reject':
          return { status: 'rejected', stored: stored! };
        case 'replay':
          return { status: 'replay', signature: stored!.signature! };
        case 'advance':
          writeSlot(marks, slot.pkh, slot.kind, next);
          await this.write(file, formatChainMarks(marks), assertHeld);
          return { status: 'committed' };
      }
    });
  }

  async *list(): AsyncIterable<[Slot, Mark]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names.filter((n) => CHAIN_FILE.test(n)).sort()) {
      const chainId = name.slice(0, -'.json'.length);
      for (const [pkh, kind, mark] of slotsOf(await this.read(path.join(this.dir, name)))) {
        yield [{ chainId, pkh, kind }, mark];
      }
    }
  }

  async reset(slot: Slot): Promise<boolean> {
    const file = this.fileFor(slot);
    return this.locked(file, async (assertHeld) => {
      const marks = await this.read(file);
      if (!removeSlot(marks, slot.pkh, slot.kind)) return false;
      await this.write(file, formatChainMarks(marks), assertHeld);
      return true;
    });
  }

  private async read(file: string): Promise<ChainMarks> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new SignatoryError('internal', `cannot read watermark file ${file}: ${(e as Error).message}`, { cause: e });
    }
    return parseChainMarks(text, file);
  }

  private async write(file: string, text: string, assertHeld: () => Promise<void>): Promise<void> {
    const tmp = path.join(this.dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const h = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o640);
    try {
      try {
        await h.writeFile(text, 'utf8');
        await h.sync();
      } finally {
        await h.close();
      }
      // always true while the lock works as designed; a cheap last check before the commit point
      await assertHeld();
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
    const d = await fs.open(this.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  /** Runs `fn` holding this process's lock and then the cross-process lock on `file`. */
  private locked<T>(file: string, fn: (assertHeld: () => Promise<void>) => Promise<T>): Promise<T> {
    return this.fileLocks.run(file, () => this.crossProcessLocked(file, fn));
  }

  private async crossProcessLocked<T>(file: string, fn: (assertHeld: () => Promise<void>) => Promise<T>): Promise<T> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o750 });
    const lock = await new FileLock(file, this.lockTimeoutMs).acquire();
    let result: T;
    try {
      result = await fn(lock.assertHeld);
    } catch (e) {
      await lock.release().catch(() => undefined);
      throw e;
    }
    await lock.release();
    return result;
  }
}
