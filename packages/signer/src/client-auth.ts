import {
  b58Decode,
  blake2b256,
  concatBytes,
  createDigestVerifier,
  CURVE_OF_PKH,
  CURVES,
  parsePublicKey,
  parseSignature,
  PKH_PREFIXES,
  pkhOf,
  SignatoryError,
  type Curve,
  type DigestVerifier,
} from '@signatory-ts/core';

const AUTH_PREFIX = new Uint8Array([0x04, 0x01]);

/**
 * The bytes a client signs to authenticate a sign request (Octez's authenticated request, tag 1 =
 * sign): 0x04 ‖ 0x01 ‖ target pkh as 21 bytes (curve tag 0..3, then the 20-byte hash) ‖ the posted
 * request bytes. The 0x01 is easy to miss.
 */
export function authenticatedBytes(pkh: string, request: Uint8Array): Uint8Array {
  const { prefix, payload } = b58Decode(pkh, PKH_PREFIXES);
  return concatBytes(AUTH_PREFIX, new Uint8Array([CURVES[CURVE_OF_PKH[prefix]].tag]), payload, request);
}

/**
 * `server.authorized_keys`: the client keys a request may be authenticated with, tried in config
 * order; the first that verifies names the client (its pkh goes to per-key policy). Key objects
 * are built once; a request costs one blake2b and at most one verify per authorized key.
 */
export class ClientAuth {
  private readonly keys: readonly { curve: Curve; pkh: string; verify: DigestVerifier }[];
  readonly clientPkhs: readonly string[];

  constructor(publicKeys: readonly string[]) {
    this.keys = publicKeys.map((text) => {
      const pk = parsePublicKey(text);
      return { curve: pk.curve, pkh: pkhOf(pk), verify: createDigestVerifier(pk) };
    });
    this.clientPkhs = this.keys.map((k) => k.pkh);
  }

  /** The client pkh; throws unauthenticated (missing), bad_request (unparseable), forbidden (no key verifies). */
  authenticate(pkh: string, request: Uint8Array, authentication: string | undefined): string {
    if (authentication === undefined || authentication === '') {
      throw new SignatoryError('unauthenticated', 'missing authentication signature field');
    }
    let sig: ReturnType<typeof parseSignature>;
    try {
      sig = parseSignature(authentication);
    } catch (e) {
      throw new SignatoryError('bad_request', `authentication: ${(e as Error).message}`);
    }
    const digest = blake2b256(authenticatedBytes(pkh, request));
    for (const k of this.keys) {
      if (sig.curve !== undefined && sig.curve !== k.curve) continue;
      try {
        if (k.verify(digest, sig.bytes)) return k.pkh;
      } catch {
        // wrong length for this curve: not this key
      }
    }
    throw new SignatoryError('forbidden', 'invalid authentication signature');
  }
}
