import { DecodeError } from './decode-error';
import { CURRENT_PROTOCOL, protocolTables, type Protocol, type ProtocolTables } from './protocols';

/** Largest `dyn` length data-encoding allows (uint30). */
const MAX_DYN = 0x3fffffff;

/**
 * A bounds-checked cursor over request bytes. Every read checks the bytes are there and throws a
 * typed DecodeError naming the offset; nothing allocates more than the bytes it was given, so memory
 * is bounded by the input size. `end` shrinks while reading inside a `dyn` region.
 */
export class Reader {
  pos: number;
  end: number;
  depth = 0;
  /** The tables generic operations and keys are decoded with. */
  readonly protocol: ProtocolTables;

  constructor(
    readonly bytes: Uint8Array,
    protocol: Protocol | ProtocolTables = CURRENT_PROTOCOL,
    start = 0,
  ) {
    this.protocol = protocolTables(protocol);
    this.pos = start;
    this.end = bytes.length;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(reason: ConstructorParameters<typeof DecodeError>[0], expected: string, detail?: string, at = this.pos): never {
    throw new DecodeError(reason, at, expected, detail);
  }

  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail('short_input', `${what} (${n} byte${n === 1 ? '' : 's'})`, `${this.end - this.pos} left`);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  i16(what = 'i16'): number {
    const v = this.u16(what);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  i32(what = 'i32'): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  u32(what = 'u32'): number {
    return this.i32(what) >>> 0;
  }

  /** int31: an i32 restricted to ±2^30. */
  int31(what = 'int31'): number {
    const at = this.pos;
    const v = this.i32(what);
    if (v < -0x40000000 || v > 0x3fffffff) this.fail('bad_value', `${what} within ±2^30`, String(v), at);
    return v;
  }

  /** i64 as a decimal string. */
  i64(what = 'i64'): string {
    this.need(8, what);
    const v = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).readBigInt64BE(0);
    this.pos += 8;
    return v.toString();
  }

  /** A view (no copy) of the next n bytes. */
  fixed(n: number, what: string): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return this.bytes.subarray(p, p + n);
  }

  /** Option presence byte: true when a value follows. */
  present(what: string): boolean {
    const at = this.pos;
    const b = this.u8(`${what} presence byte`);
    if (b === 0xff) return true;
    if (b === 0x00) return false;
    return this.fail('bad_option', `${what} presence byte 0x00 or 0xff`, `got 0x${b.toString(16).padStart(2, '0')}`, at);
  }

  /** Reads a uint30 length prefix and checks the region fits in what is left, before anything is allocated. */
  length(what: string): number {
    const at = this.pos;
    const n = this.u32(`${what} length`);
    if (n > MAX_DYN || n > this.end - this.pos) {
      this.fail('bad_length', `${what} length <= ${Math.min(MAX_DYN, this.end - this.pos)}`, `length prefix says ${n}`, at);
    }
    return n;
  }

  /** Runs `body` over a `dyn` region (4-byte length); the body must consume the region exactly. */
  dyn<T>(what: string, body: (r: Reader) => T): T {
    const n = this.length(what);
    return this.region(n, what, body);
  }

  /** Runs `body` with the reader bounded to the next n bytes (n already checked to fit). */
  region<T>(n: number, what: string, body: (r: Reader) => T): T {
    const saved = this.end;
    this.end = this.pos + n;
    const v = body(this);
    if (this.pos !== this.end) {
      this.fail('trailing_bytes', `end of ${what}`, `${this.end - this.pos} byte(s) left inside it`);
    }
    this.end = saved;
    return v;
  }

  /** `dyn` bytes, as a view. */
  dynBytes(what: string): Uint8Array {
    const n = this.length(what);
    return this.fixed(n, what);
  }

  /** Reads elements until the region ends (for lists inside a dyn region). */
  list<T>(item: (r: Reader) => T): T[] {
    const out: T[] = [];
    while (this.pos < this.end) out.push(item(this));
    return out;
  }

  expectEnd(what = 'end of request'): void {
    if (this.pos !== this.end) {
      this.fail('trailing_bytes', what, `${this.end - this.pos} byte(s) left over`);
    }
  }
}
