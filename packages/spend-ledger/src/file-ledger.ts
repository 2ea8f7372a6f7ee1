import fs from 'node:fs';
import path from 'node:path';
import { SignatoryError } from '@signatory-ts/core';
import { FileLock, KeyedLock, makeDir, removeDeadTemps, replaceDurably, WatermarkLockError } from '@signatory-ts/watermark';
import { DocumentLedger, type Change } from './document-ledger';
import { SpendNotDurableError } from './spend-ledger';
import { emptyDocument, formatDocument, parseDocument, type LedgerDocument } from './ledger-document';

export interface FileSpendLedgerOptions {
  /** Signatory's `base_dir`; ledgers live in `<baseDir>/spend_ledger/<pkh>.json`. */
  readonly baseDir: string;
  /** How long an update waits for another process's lock on the key's file before failing (nothing reserved). Default 5 000 ms. */
  readonly lockTimeoutMs?: number;
}

/**
 * One JSON file per key under base_dir, crash-safe and shared by the processes of one host, as
 * the watermark file store: every update takes the watermark package's kernel lock on the key's
 * file (released by the kernel when its holder dies), re-reads the file, and writes the new one
 * to a temporary file that is fsynced, renamed over it, and its directory fsynced. The file is
 * always the old or the new whole; an unreadable file fails every update (nothing is signed).
 */
export class FileSpendLedger extends DocumentLedger {
  readonly name = 'file';
  readonly dir: string;
  private readonly lockTimeoutMs: number;
  /** One updater per file in this process, so only other processes contend for the kernel lock. */
  private readonly locks = new KeyedLock();
  /** Files whose dead writers' temporary files this ledger has removed. */
  private readonly swept = new Set<string>();
  private dirMade = false;

  constructor(options: FileSpendLedgerOptions) {
    super();
    this.dir = path.join(options.baseDir, 'spend_ledger');
    this.lockTimeoutMs = Math.max(0, options.lockTimeoutMs ?? 5000);
  }

  /** The key's file (the key is checked to be a key hash before it gets here). */
  fileFor(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  protected async load(key: string): Promise<LedgerDocument> {
    // a rename replaces the file whole: a read without the lock sees the old or the new file
    return this.read(this.fileFor(key));
  }

  protected update<T>(key: string, change: (doc: LedgerDocument) => Change<T>): Promise<T> {
    const file = this.fileFor(key);
    return this.locks.run(file, async () => {
      // made once: a directory removed later fails updates instead of silently starting over empty
      if (!this.dirMade) {
        makeDir(this.dir);
        this.dirMade = true;
      }
      let lock;
      try {
        lock = await new FileLock(file, this.lockTimeoutMs).acquire();
      } catch (e) {
        if (!(e instanceof WatermarkLockError)) throw e;
        throw new SignatoryError('internal', `spend ledger: cannot lock ${e.lockFile}: it ${e.problem}. Nothing was reserved or signed`);
      }
      try {
        // tried again at the next update when it could not finish
        if ((lock.previousHolderDied || !this.swept.has(file)) && removeDeadTemps(this.dir, file)) this.swept.add(file);
        const doc = this.read(file);
        const { result, write } = change(doc);
        if (write) await this.write(file, formatDocument(doc), lock.assertHeld);
        return result;
      } finally {
        lock.release();
      }
    });
  }

  async close(): Promise<void> {}

  private read(file: string): LedgerDocument {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
      throw new SignatoryError('internal', `spend ledger: cannot read ${file}: ${(e as Error).message}; nothing was signed`, { cause: e });
    }
    return parseDocument(text, file);
  }

  /** Throws SpendNotDurableError when the new file is in place and only its directory's fsync failed. */
  private async write(file: string, text: string, assertHeld: () => void): Promise<void> {
    try {
      await replaceDurably(this.dir, file, text, assertHeld);
    } catch (e) {
      if (e instanceof SignatoryError) throw e;
      // under the lock nobody else writes the file: holding `text`, it was renamed in place
      if (this.holds(file, text)) {
        throw new SpendNotDurableError(
          'internal',
          `spend ledger: wrote ${file}, but could not sync its directory to disk (${(e as Error).message}): ` +
            'the change is in place for every signer on this host, and a power loss may undo it',
          { cause: e },
        );
      }
      throw new SignatoryError('internal', `spend ledger: cannot write ${file}: ${(e as Error).message}; nothing was changed`, {
        cause: e,
      });
    }
  }

  private holds(file: string, text: string): boolean {
    try {
      return fs.readFileSync(file, 'utf8') === text;
    } catch {
      return false;
    }
  }
}
