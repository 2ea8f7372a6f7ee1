import { randomBytes } from 'node:crypto';
import type { SpendCap } from '@signatory-ts/config';
import { b58Decode, PKH_PREFIXES, SignatoryError } from '@signatory-ts/core';
import { forgetKept, MAX_ENTRIES, overCap, prune, resetWindows, usage, type LedgerDocument } from './ledger-document';
import {
  SpendNotDurableError,
  SpendOutcomeUnknownError,
  type Reservation,
  type ReserveResult,
  type SpendLedger,
  type WindowUsage,
} from './spend-ledger';

/** What `update` does with a key's document: the result, and whether the (changed) document must be written. */
export interface Change<T> {
  readonly result: T;
  readonly write: boolean;
}

/**
 * A ledger that keeps one document per key (ledger-document.ts). A store provides an atomic
 * read-modify-write of one key's document (`update`: a file under a kernel lock, a DynamoDB item
 * under a version condition, a Map in one process) and a read; the rules live here, once.
 */
export abstract class DocumentLedger implements SpendLedger {
  abstract readonly name: string;

  /** The key's document (empty when none is stored). */
  protected abstract load(key: string): Promise<LedgerDocument>;
  /**
   * Runs `change` on the key's current document and, when it says so, stores the changed document,
   * atomically with respect to every other update of the key on this store (other processes and
   * hosts included). `change` may run more than once (optimistic stores retry it on a conflict).
   */
  protected abstract update<T>(key: string, change: (doc: LedgerDocument) => Change<T>): Promise<T>;

  abstract close(): Promise<void>;

  async reserve(key: string, amount: bigint, caps: readonly SpendCap[], now: number): Promise<ReserveResult> {
    checkArgs(key, now);
    if (amount < 0n) throw new SignatoryError('internal', `spend ledger: cannot reserve a negative amount (${amount} mutez)`);
    if (amount === 0n || caps.length === 0) return { ok: true, reservation: { key, id: '', amount, at: now } };
    const id = randomBytes(9).toString('base64url');
    const reservation: Reservation = { key, id, amount, at: now };
    try {
      return await this.reserveIn(key, reservation, caps, now);
    } catch (e) {
      if (e instanceof SpendOutcomeUnknownError) {
        // the reservation may be in the store: it is given back (its id is known), or said to count
        let back: string;
        try {
          back = (await this.release(reservation)) ? 'it had been written and was given back' : 'it had not been written';
        } catch (r) {
          back = `whether it was written is unknown (giving it back failed too: ${(r as Error).message}); if it was, it counts until its window passes`;
        }
        throw new SignatoryError('internal', `${e.message}. Nothing was signed on that reservation; ${back}`, { cause: e });
      }
      if (!(e instanceof SpendNotDurableError)) throw e;
      // the reservation is in the store but may not outlive a power loss: a signature counted on it
      // could be forgotten, so nothing is signed, and it is given back (a power loss may bring it back: counted)
      let back: string;
      try {
        back = (await this.release(reservation)) ? 'it was given back' : 'it was already gone';
      } catch (r) {
        back =
          r instanceof SpendNotDurableError
            ? 'it was given back'
            : `it could not be given back (${(r as Error).message}) and counts until its window passes`;
      }
      throw new SignatoryError('internal', `${e.message}. Nothing was signed on that reservation; ${back}`, { cause: e });
    }
  }

  private reserveIn(key: string, reservation: Reservation, caps: readonly SpendCap[], now: number): Promise<ReserveResult> {
    const { id, amount } = reservation;
    return this.update(key, (doc): Change<ReserveResult> => {
      // already there: a store's retry after a write whose answer was lost (never counted twice)
      if (doc.entries.some((e) => e.id === id)) return { result: { ok: true, reservation, windows: usage(doc, caps, now) }, write: false };
      // entries carry their signer's clock: a clock behind the others' would make what they spent look
      // older than it is, so one found behind the newest entry or reset refuses (fail closed), and a clock
      // a little behind stamps after both rather than in the past (an entry stamped at or before a reset
      // would not count in the window reset: a request queued behind the reset could escape its cap)
      const newestEntry = doc.entries.reduce((m, e) => Math.max(m, e.at), -Infinity);
      const newestReset = Math.max(-Infinity, ...doc.resets.values());
      const newest = Math.max(newestEntry, newestReset);
      if (newest - now > CLOCK_TOLERANCE_MS) {
        throw new SignatoryError(
          'internal',
          `spend ledger: this signer's clock is ${Math.round((newest - now) / 1000)} s behind the newest ${newest === newestEntry ? 'reservation' : 'reset'} of ${key} ` +
            '(another signer sharing the ledger, or this clock set back); nothing was signed. Synchronize the clocks of every signer (NTP)',
        );
      }
      prune(doc, caps, now);
      const refusal = overCap(doc, amount, caps, now);
      if (refusal !== undefined) return { result: { ok: false, refusal, windows: usage(doc, caps, now) }, write: false };
      if (doc.entries.length >= MAX_ENTRIES) {
        throw new SignatoryError(
          'internal',
          `spend ledger: key ${key} holds ${doc.entries.filter((e) => !e.signed).length} unconfirmed reservations within its longest window, ` +
            `too many to keep another (at most ${MAX_ENTRIES} entries); nothing was signed. ` +
            'Reservations left by signers that died before confirming count until their window passes (a reset keeps them: each may be a signature that left)',
        );
      }
      doc.entries.push({ id, at: Math.max(now, newestEntry, newestReset + 1), amount, signed: false });
      return { result: { ok: true, reservation, windows: usage(doc, caps, now) }, write: true };
    });
  }

  async confirm(r: Reservation): Promise<void> {
    if (r.id === '') return;
    await this.update(r.key, (doc) => {
      const e = doc.entries.find((x) => x.id === r.id);
      if (e === undefined || e.signed) return { result: undefined, write: false };
      e.signed = true;
      return { result: undefined, write: true };
    });
  }

  async release(r: Reservation): Promise<boolean> {
    if (r.id === '') return false;
    return this.update(r.key, (doc) => {
      const i = doc.entries.findIndex((x) => x.id === r.id);
      if (i < 0 || doc.entries[i]!.signed) return { result: false, write: false };
      doc.entries.splice(i, 1);
      forgetKept(doc);
      return { result: true, write: true };
    });
  }

  async show(key: string, caps: readonly SpendCap[], now: number): Promise<WindowUsage[]> {
    checkArgs(key, now);
    return usage(await this.load(key), caps, now);
  }

  async reset(key: string, windowSeconds: number | undefined, now: number): Promise<void> {
    checkArgs(key, now);
    await this.update(key, (doc) => {
      resetWindows(doc, windowSeconds, now);
      return { result: undefined, write: true };
    });
  }
}

/** How far a signer's clock may be behind the newest entry of a key before it refuses to reserve. */
export const CLOCK_TOLERANCE_MS = 60_000;

/** Key hashes already checked (base58 with its checksum is not free; a signer sees a few). */
const checkedKeys = new Set<string>();

/** A key is a valid tz1…tz4 (it names a file and an item); `now` a time. */
function checkArgs(key: string, now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) throw new SignatoryError('internal', `spend ledger: ${now} is not a time in ms`);
  if (checkedKeys.has(key)) return;
  try {
    b58Decode(key, PKH_PREFIXES);
  } catch (e) {
    throw new SignatoryError(
      'bad_request',
      `spend ledger: ${JSON.stringify(key)} is not a key hash (tz1, tz2, tz3 or tz4): ${(e as Error).message}`,
    );
  }
  if (checkedKeys.size >= 4096) checkedKeys.clear();
  checkedKeys.add(key);
}
