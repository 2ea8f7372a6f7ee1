import type { Socket } from 'node:net';

/** Which cap a refused connection hit. */
export type RefusedBy = 'total' | 'client';

/** The address a connection comes from, IPv4-mapped IPv6 shown as IPv4. */
export const clientOf = (s: Socket): string => (s.remoteAddress ?? '').replace(/^::ffff:/, '');

/**
 * The connections a listener holds: at most `max` in all and `perClient` from one client address.
 * A connection past a cap first makes room by closing an idle one — kept alive after a request,
 * with none in progress — the longest idle of the same address for the per-address cap, of all for
 * the total; so sockets a client leaves open never lock a baker out. Only when no connection in the
 * way is idle is the new one closed. A request in progress is never cut here, nor a connection that
 * has not sent its first request yet (it may be a baker's): the read timeout bounds both.
 */
export class ConnectionLimits {
  /** Oldest first (a Set keeps insertion order). */
  private readonly all = new Set<Socket>();
  private readonly byClient = new Map<string, Set<Socket>>();
  /** Requests in progress per connection. */
  private readonly busy = new Map<Socket, number>();
  /** Connections that served a request and have none in progress, longest idle first. */
  private readonly idle = new Set<Socket>();

  constructor(
    private readonly max: number,
    private readonly perClient: number,
    private readonly onRefused?: (by: RefusedBy) => void,
  ) {}

  /** Takes a new connection in (true), or closes it (false). */
  admit(s: Socket): boolean {
    const client = clientOf(s);
    const mine = this.byClient.get(client);
    const refusedBy: RefusedBy | undefined =
      mine !== undefined && mine.size >= this.perClient && !this.closeIdle(mine)
        ? 'client'
        : this.all.size >= this.max && !this.closeIdle()
          ? 'total'
          : undefined;
    if (refusedBy !== undefined) {
      s.destroy();
      this.onRefused?.(refusedBy);
      return false;
    }
    this.all.add(s);
    if (mine === undefined) this.byClient.set(client, new Set([s]));
    else mine.add(s);
    s.once('close', () => this.forget(s, client));
    return true;
  }

  requestStarted(s: Socket): void {
    this.idle.delete(s);
    this.busy.set(s, (this.busy.get(s) ?? 0) + 1);
  }

  requestEnded(s: Socket): void {
    const n = (this.busy.get(s) ?? 1) - 1;
    if (n > 0) return void this.busy.set(s, n);
    this.busy.delete(s);
    if (this.all.has(s)) this.idle.add(s);
  }

  /** Every connection held now. */
  get sockets(): ReadonlySet<Socket> {
    return this.all;
  }

  /** Closes the longest idle connection of `among` (all when undefined); false when none is idle. */
  private closeIdle(among?: ReadonlySet<Socket>): boolean {
    for (const s of this.idle) {
      if (among !== undefined && !among.has(s)) continue;
      this.forget(s, clientOf(s));
      s.destroy();
      return true;
    }
    return false;
  }

  private forget(s: Socket, client: string): void {
    this.all.delete(s);
    this.busy.delete(s);
    this.idle.delete(s);
    const mine = this.byClient.get(client);
    if (mine?.delete(s) === true && mine.size === 0) this.byClient.delete(client);
  }
}
