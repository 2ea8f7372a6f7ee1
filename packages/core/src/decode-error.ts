import { SignatoryError } from './errors';

/**
 * Why a sign request failed to decode. Closed set: tests exercise every one, and the daemon logs
 * the reason next to the offset, so an operator can tell "truncated by the proxy" from "a new
 * protocol added an operation we do not know".
 */
export const DECODE_ERROR_REASONS = [
  'short_input',
  'trailing_bytes',
  'unknown_magic',
  'not_a_sign_request',
  'unknown_tag',
  'tag_not_allowed',
  'bad_option',
  'zarith_too_long',
  'zarith_trailing_zero',
  'zarith_negative_zero',
  'bad_length',
  'bad_fitness',
  'bad_votes',
  'bad_value',
  'key_type_mismatch',
  'empty_operation_list',
  'bad_batch',
  'too_deep',
] as const;
export type DecodeErrorReason = (typeof DECODE_ERROR_REASONS)[number];

/** What each reason means (docs/payloads.md is generated from this). */
export const DECODE_ERROR_DESCRIPTIONS: Readonly<Record<DecodeErrorReason, string>> = {
  short_input: 'the input ends before the field does',
  trailing_bytes: 'bytes left after a complete value (whole request, or inside a dyn region)',
  unknown_magic: 'first byte is not a known watermark',
  not_a_sign_request: '0x04: the client-authentication prefix, never signed',
  unknown_tag: 'an operation, contract, key, entrypoint, Micheline or union tag we do not know',
  tag_not_allowed: 'a known tag that cannot appear here (255 signature_prefix, consensus tags in 0x03)',
  bad_option: 'an option presence byte other than 0x00 / 0xff',
  zarith_too_long: 'a Zarith number longer than its field allows',
  zarith_trailing_zero: 'a non-canonical Zarith number (last byte 0x00 after a continuation)',
  zarith_negative_zero: 'the Z value -0 (0x40), non-canonical',
  bad_length: 'a length prefix or fixed size that does not fit (larger than the input, wrong size)',
  bad_fitness: 'a block fitness that is not a valid Tenderbake (version 2) fitness for this header',
  bad_votes: 'a per-block-votes byte the protocol does not define',
  bad_value: 'a value outside its domain (negative int31, fee over int64, empty ticket, bad UTF-8...)',
  key_type_mismatch: "a consensus tag that does not match the signing key's type",
  empty_operation_list: 'a 0x03 request with no operation',
  bad_batch: 'a batch of several operations containing a non-manager operation',
  too_deep: 'Micheline nested deeper than the decoder allows',
};

/** A sign request that is not well-formed. Always code `bad_request`; never signs, changes nothing. */
export class DecodeError extends SignatoryError {
  constructor(
    readonly reason: DecodeErrorReason,
    /** Byte offset in the request (magic byte included) where the problem is. */
    readonly offset: number,
    /** What the decoder expected there, in words. */
    readonly expected: string,
    detail?: string,
  ) {
    super('bad_request', `cannot decode sign request: ${reason} at byte ${offset}: expected ${expected}${detail ? ` (${detail})` : ''}`);
  }
}

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof DecodeError;
}

/** "a, b or c": a list for error texts derived from the tables. */
export function orList(items: readonly (string | number)[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
