import { isIPv6 } from 'node:net';

/** Most client addresses remembered at once; past it the oldest window is forgotten first. */
const MAX_CLIENTS = 10_000;

/**
 * What failures are counted against: an IPv4 address as is; an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, a dual-stack listener's IPv4 client) as that IPv4 address; any other IPv6
 * address by its /64 (`2001:db8:1:2::/64`), since whoever has one address of a /64 usually has all
 * 2^64 of them; the zone (`%eth0`) is dropped. Anything else (no address) is its own key.
 * `perAddress`: any other IPv6 address as itself, in canonical form (`2001:db8:1:2::5`).
 */
export function clientKey(address: string, perAddress = false): string {
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) return address;
  // the WHATWG URL parser's canonical text: lower case, zeros compressed, a dotted IPv4 tail as two hex groups
  const canonical = new URL(`http://[${bare}]`).hostname.slice(1, -1);
  // then its eight groups: `::` stands for as many zero groups as are missing
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const [head = [], tail = []] = canonical.includes('::') ? canonical.split('::').map(groups) : [groups(canonical)];
  const all = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  const n = all.map((g) => parseInt(g, 16));
  if (n.slice(0, 5).every((g) => g === 0) && n[5] === 0xffff) return [n[6]! >> 8, n[6]! & 0xff, n[7]! >> 8, n[7]! & 0xff].join('.');
  if (perAddress) return canonical;
  return `${new URL(`http://[${all.slice(0, 4).join(':')}::]`).hostname.slice(1, -1)}/64`;
}

/**
 * Failed client authentications per client (`keyOf`: clientKey, an address or an IPv6 /64, by
 * default), counted in fixed windows. Once a client has failed `limit` times in a window it is refused until the window
 * ends, before its signature is parsed or verified: a flood of bogus `?authentication=` costs a Map
 * lookup per request, not one verification per authorized key, and a client elsewhere is not slowed down.
 */
export class AuthFailureLimit {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: number,
    readonly windowMs: number,
    private readonly keyOf: (address: string) => string = clientKey,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const client = this.keyOf(address);
    const w = this.windows.get(client);
    if (w === undefined || w.failures < this.limit) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left > 0) return left;
    this.windows.delete(client);
    return 0;
  }

  /** Counts one failed authentication from `address`. */
  fail(address: string): void {
    const client = this.keyOf(address);
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
