/** Most client addresses remembered at once; past it the oldest window is forgotten first. */
const MAX_CLIENTS = 10_000;

/**
 * Failed client authentications per client address, counted in fixed windows. Once an address has
 * failed `limit` times in a window it is refused until the window ends, before its signature is
 * parsed or verified: a flood of bogus `?authentication=` costs a Map lookup per request, not one
 * verification per authorized key, and a client on another address is not slowed down.
 */
export class AuthFailureLimit {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `client` may try again; 0 when it may now. */
  retryAfter(client: string): number {
    const w = this.windows.get(client);
    if (w === undefined || w.failures < this.limit) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left > 0) return left;
    this.windows.delete(client);
    return 0;
  }

  /** Counts one failed authentication from `client`. */
  fail(client: string): void {
    const t = this.now();
    const w = this.windows.get(client);
    if (w !== undefined && t - w.start < this.windowMs) {
      w.failures++;
      return;
    }
    this.windows.delete(client);
    if (this.windows.size >= MAX_CLIENTS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { start: t, failures: 1 });
  }
}
