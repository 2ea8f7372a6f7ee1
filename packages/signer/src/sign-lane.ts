import { SignatoryError } from '@signatory-ts/core';

export interface SignLaneOptions {
  /** Vault calls running at once; more wait in the queue. */
  readonly concurrency: number;
  /** Calls waiting at most; one more is refused with `busy` (503) instead of waiting. */
  readonly maxQueued: number;
  /**
   * Longest wait for a slot, ms; a call still waiting then is refused with `busy` without running:
   * its client has likely given up, and a KMS signature nobody receives is wasted quota.
   */
  readonly maxWaitMs: number;
}

/**
 * A concurrency budget for one class of vault calls: at most `concurrency` run at once, the rest
 * wait in a bounded FIFO queue, and a call arriving to a full queue is refused at once. Generic and
 * pack requests go through one; consensus requests do not, so a flood of generic traffic never puts
 * a block or attestation in a queue.
 */
export class SignLane {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    /** For the refusal message, e.g. "generic". */
    private readonly name: string,
    private readonly options: SignLaneOptions,
  ) {
    if (!(options.concurrency >= 1) || !(options.maxQueued >= 0) || !(options.maxWaitMs > 0)) {
      throw new RangeError(`${name} lane: concurrency must be >= 1, maxQueued >= 0 and maxWaitMs > 0`);
    }
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `call` when a slot is free; throws `busy` without running it when the queue is full, or
   * when no slot came free within maxWaitMs or `leftMs` (what the request's deadline leaves), the shorter.
   */
  async run<T>(call: () => Promise<T>, leftMs = Infinity): Promise<T> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
    } else {
      const byDeadline = leftMs < this.options.maxWaitMs;
      if (byDeadline && !(leftMs > 0)) {
        throw new SignatoryError(
          'busy',
          `signer busy: the request deadline had passed when it reached the ${this.name} lane, whose ${this.options.concurrency} slots are taken; nothing was signed, retry later`,
        );
      }
      if (this.waiting.length >= this.options.maxQueued) {
        throw new SignatoryError(
          'busy',
          `signer busy: ${this.running} ${this.name} requests are being signed and ${this.waiting.length} are waiting; retry later (consensus requests are not affected)`,
        );
      }
      // the finishing call hands its slot over; a call that waited too long leaves the queue
      await new Promise<void>((resolve, reject) => {
        const handOver = () => {
          clearTimeout(timer);
          resolve();
        };
        const waitMs = byDeadline ? leftMs : this.options.maxWaitMs;
        const timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(handOver), 1);
          const why = byDeadline ? `the ${Math.round(waitMs)} ms the request deadline left` : `${waitMs} ms`;
          reject(
            new SignatoryError(
              'busy',
              `signer busy: waited ${why} for one of ${this.options.concurrency} ${this.name} slots; nothing was signed, retry later`,
            ),
          );
        }, waitMs);
        this.waiting.push(handOver);
      });
    }
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running -= 1;
    }
  }
}
