import { SignatoryError } from '@signatory-ts/core';
import { SpendNotDurableError, type Reservation, type ReserveResult, type SpendLedger, type WindowUsage } from '@signatory-ts/spend-ledger';

type SpendCaps = Parameters<SpendLedger['reserve']>[2];

/**
 * The spend stage of a generic request for a key with `limits.spend` caps: reserve its amount on
 * the shared ledger after policy allowed it and before the vault signs, confirm once signed, give
 * it back when nothing was signed. Every ledger call is cut at `timeoutMs`, or sooner at what the
 * request's deadline leaves (`leftMs`); a ledger that fails or does not answer in time refuses the
 * request (fail closed): never a signature it could not count.
 */
export class SpendStage {
  constructor(
    private readonly ledger: SpendLedger,
    private readonly timeoutMs: number,
    private readonly onLateError: (message: string) => void,
  ) {}

  /**
   * Reserves `amount` under `caps`. A refusal is returned; a ledger failure or timeout is thrown as
   * a 500 naming the ledger and the cause. A reservation that lands after the timeout is given back.
   * With no time left (`leftMs` 0) the ledger is not asked.
   */
  async reserve(key: string, amount: bigint, caps: SpendCaps, now: number, leftMs = Infinity): Promise<ReserveResult> {
    if (!(leftMs > 0)) {
      throw new SignatoryError(
        'internal',
        `spend ledger ${this.ledger.name}: the request deadline had passed before the spend ledger was asked; nothing was reserved or signed`,
      );
    }
    const call = this.ledger.reserve(key, amount, caps, now);
    try {
      return await this.bounded(call, 'reserve', leftMs);
    } catch (e) {
      if (e instanceof TimedOut) {
        // the store may still record it: give it back when it does, so a slow store does not eat the budget
        call.then(
          (r) => (r.ok ? this.release(r.reservation) : undefined),
          () => undefined,
        );
      }
      const f = this.failure('reserve', e);
      throw /nothing was (reserved or )?signed/i.test(f.message)
        ? f
        : new SignatoryError('internal', `${f.message}; nothing was signed`, { cause: e });
    }
  }

  /**
   * Marks the reservation signed. Never throws: a failed confirm leaves it counted (reserved), the
   * safe side; the problem is returned for the log. Waits at most what the request deadline leaves
   * (so the signature still reaches its client in time), but at least `timeoutMs` once the deadline
   * has passed (the answer is late anyway); a confirm cut short still lands, and a late failure is logged.
   */
  async confirm(r: Reservation, leftMs = Infinity): Promise<string | undefined> {
    const call = this.ledger.confirm(r);
    try {
      await this.bounded(call, 'confirm', leftMs > 0 ? leftMs : Infinity);
      return undefined;
    } catch (e) {
      if (e instanceof TimedOut) {
        call.catch((late: unknown) =>
          this.onLateError(this.failure('confirm', late).message + '; the reservation stays counted until its window passes'),
        );
      }
      return this.failure('confirm', e).message + '; the reservation stays counted';
    }
  }

  /**
   * Gives the reservation back (nothing was signed). Never throws: a failed release leaves it counted;
   * logged. One the store made but could not make durable is given back (a power loss may bring it back: counted).
   */
  async release(r: Reservation): Promise<boolean> {
    try {
      return await this.bounded(this.ledger.release(r), 'release');
    } catch (e) {
      if (e instanceof SpendNotDurableError) {
        this.onLateError(this.failure('release', e).message + ' (the reservation given back would count again)');
        return true;
      }
      this.onLateError(this.failure('release', e).message + '; the reservation stays counted until its window passes');
      return false;
    }
  }

  /** `call` cut at timeoutMs, or at `leftMs` when that is shorter (the request deadline's share). */
  private bounded<T>(call: Promise<T>, what: string, leftMs = Infinity): Promise<T> {
    const ms = Math.min(this.timeoutMs, leftMs);
    const within = ms < this.timeoutMs ? `within the ${Math.round(ms)} ms the request deadline left` : `within ${ms} ms`;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimedOut(`no answer to ${what} ${within}`)), ms);
      timer.unref();
    });
    return Promise.race([call, expired]).finally(() => clearTimeout(timer));
  }

  /**
   * The ledger's own errors name it already (`spend ledger aws: …`); anything else is named here. A
   * store's "nothing was reserved or signed" is about a reservation: said of a confirm or a release
   * (a signature may have left, and a failed write may still have landed), it is dropped.
   */
  private failure(what: string, e: unknown): SignatoryError {
    const said = e instanceof Error ? e.message : String(e);
    const cause = what === 'reserve' ? said : said.replace(RESERVE_CLAIM, '');
    const text = cause.startsWith('spend ledger: ')
      ? `spend ledger ${this.ledger.name}: ${cause.slice('spend ledger: '.length)}`
      : cause.startsWith('spend ledger')
        ? cause
        : `spend ledger ${this.ledger.name}: ${what} failed: ${cause}`;
    return new SignatoryError('internal', text, { cause: e });
  }
}

class TimedOut extends Error {}

/** How the stores end a failure of any update: true of a reservation, not of a confirm or release. */
const RESERVE_CLAIM = /[;.] nothing was (reserved or )?signed(, retry)?$/i;

/** What the spend gauges show of one key: each window's cap and what it holds. */
export interface SpendWindows {
  readonly pkh: string;
  readonly windows: readonly Pick<WindowUsage, 'window' | 'cap' | 'spent'>[];
}

/** `windows` with `amount` given back (a released reservation), never below 0. */
export function givenBack(windows: SpendWindows['windows'], amount: bigint): SpendWindows['windows'] {
  return windows.map((w) => ({ ...w, spent: w.spent > amount ? w.spent - amount : 0n }));
}
