import { inspect } from 'node:util';
import { b58Decode, b58Encode, PREFIXES, type PrefixName } from './base58';
import { equalBytes } from './bytes';

/**
 * A key, address, hash or signature as the sign-request decoder returns it: the base58check prefix
 * name and the payload bytes. The base58 text is computed on first use (`toString()`, `toJSON()`,
 * template strings, `JSON.stringify`) and kept on the object, so decoding costs no base58 work and
 * `JSON.stringify(request)` still prints the usual `tz1…`/`B…` strings. Compare values with
 * `equals` (prefix and bytes), not `===`.
 *
 * Immutable: the payload is copied in, and the object is frozen. Do not write into `bytes`.
 */
export class B58 {
  readonly prefix: PrefixName;
  readonly bytes: Uint8Array;
  #text: string | undefined;

  constructor(prefix: PrefixName, bytes: Uint8Array) {
    const want = PREFIXES[prefix].length;
    if (bytes.length !== want) throw new TypeError(`${prefix}: payload must be ${want} bytes, got ${bytes.length}`);
    this.prefix = prefix;
    this.bytes = bytes.slice();
    Object.freeze(this);
  }

  /** Reads base58check text carrying one of the `expected` prefixes (TypeError otherwise). */
  static parse<P extends PrefixName>(text: string, expected: readonly P[]): B58 {
    const { prefix, payload } = b58Decode(text, expected);
    return new B58(prefix, payload);
  }

  /** The base58check text (computed once). */
  toString(): string {
    if (this.#text === undefined) this.#text = b58Encode(this.prefix, this.bytes);
    return this.#text;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Same prefix and same bytes. */
  equals(other: unknown): boolean {
    return other instanceof B58 && other.prefix === this.prefix && equalBytes(other.bytes, this.bytes);
  }

  [inspect.custom](): string {
    return `B58(${this.toString()})`;
  }
}
