import { verifySignature as taquitoVerify } from '@taquito/utils';
import { b58Encode } from '../src/base58';
import { concatBytes, fromHex, toHex } from '../src/bytes';
import { bytesToNumberBE as bytesToBigInt, numberToBytesBE as bigIntToBytes } from '@noble/curves/utils';
import { CURVE_ORDER, ecdsaCurve } from '../src/curves';
import { DerError, derToCompact } from '../src/der';
import { encodePublicKey } from '../src/public-key';
import { parseSecretKey, secretKeyPublicKey, signWithSecretKey } from '../src/secret-key';
import {
  createDigestVerifier,
  encodeGenericSignature,
  encodeSignature,
  isHighS,
  normalizeLowS,
  parseSignature,
  verifySignature,
} from '../src/signature';
import { blake2b256 } from '../src/hash';

const MSG = Uint8Array.of(0x03, 0xde, 0xad, 0xbe, 0xef);
const SECP = parseSecretKey('spsk1XYsTqUsd7LaLs9a8qpmCvLVJeLEZEXkeAZS5dwcKgUZhv3cYw');
const P256 = parseSecretKey('p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci');
const ED = parseSecretKey('edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd');

/** DER INTEGER of a non-negative value, minimal, as a signer would write it. */
function derInt(v: bigint): Uint8Array {
  let b = bigIntToBytes(v, 33);
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return concatBytes(Uint8Array.of(0x02, b.length), b);
}
function der(r: bigint, s: bigint): Uint8Array {
  const body = concatBytes(derInt(r), derInt(s));
  return concatBytes(Uint8Array.of(0x30, body.length), body);
}
/** The same signature with s replaced by n - s. */
function twin(curve: 'secp256k1' | 'p256', rs: Uint8Array): Uint8Array {
  return concatBytes(rs.subarray(0, 32), bigIntToBytes(CURVE_ORDER[curve] - bytesToBigInt(rs.subarray(32)), 32));
}

describe('derToCompact', () => {
  const n = CURVE_ORDER.secp256k1;

  it('turns DER into r‖s left-padded to 32 bytes each, for short and full-width integers', () => {
    expect(toHex(derToCompact(der(1n, 2n), 'secp256k1'))).toBe('00'.repeat(31) + '01' + '00'.repeat(31) + '02');
    const high = n - 1n; // top bit set: DER needs a 0x00 pad byte, 33 bytes
    expect(derInt(high)).toHaveLength(35);
    expect(bytesToBigInt(derToCompact(der(high, high), 'secp256k1').subarray(32))).toBe(high);
  });

  it('round-trips the r‖s of real signatures of both curves', () => {
    for (const [curve, sk] of [
      ['secp256k1', SECP],
      ['p256', P256],
    ] as const) {
      const rs = signWithSecretKey(MSG, sk).bytes;
      const d = der(bytesToBigInt(rs.subarray(0, 32)), bytesToBigInt(rs.subarray(32)));
      expect(toHex(derToCompact(d, curve))).toBe(toHex(rs));
    }
  });

  const ok = der(5n, 7n); // 30 06 02 01 05 02 01 07
  it.each([
    ['empty input', new Uint8Array(0), /expected a SEQUENCE/],
    ['not a SEQUENCE', fromHex('310602010502 0107'.replace(' ', '')), /expected a SEQUENCE/],
    ['missing SEQUENCE length', fromHex('30'), /missing SEQUENCE length/],
    ['long-form SEQUENCE length', fromHex('308106020105020107'), /long-form length/],
    ['SEQUENCE length past the end', fromHex('300702010502010 7'.replace(' ', '')), /runs past the end/],
    ['trailing byte after the SEQUENCE', concatBytes(ok, Uint8Array.of(0)), /1 trailing byte\(s\) after the SEQUENCE/],
    ['a third INTEGER inside the SEQUENCE', fromHex('3009020105020107020101'), /trailing byte\(s\) inside the SEQUENCE/],
    ['r not an INTEGER', fromHex('300604010502 0107'.replace(' ', '')), /r: expected INTEGER/],
    ['s missing', fromHex('3003020105'), /s: expected INTEGER \(0x02\), got end of data/],
    ['empty r', fromHex('30050200020107'), /r: empty INTEGER/],
    ['negative r', fromHex('300602018502 0107'.replace(' ', '')), /r: negative INTEGER/],
    ['r with a needless leading zero', fromHex('30070202000502 0107'.replace(' ', '')), /r: INTEGER has a needless leading zero/],
    [
      'r longer than 33 bytes',
      concatBytes(fromHex('3027' + '0222' + '00'.repeat(1) + '80' + '11'.repeat(32)), fromHex('020107')),
      /r: INTEGER of 34 bytes/,
    ],
    ['s running past the end', fromHex('300602010502 0207'.replace(' ', '')), /s: INTEGER runs past the end/],
    ['r zero', der(0n, 7n), /r is zero/],
    ['s zero', der(5n, 0n), /s is zero/],
    ['s equal to n', der(5n, n), /s is not below the secp256k1 group order/],
    ['r above n', der(n + 5n, 7n), /r is not below/],
    ['oversized input', new Uint8Array(73).fill(0x30), /longer than any 256-bit ECDSA signature/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => derToCompact(input, 'secp256k1')).toThrow(DerError);
    expect(() => derToCompact(input, 'secp256k1')).toThrow(message);
  });

  it('checks the range against the curve it is told: P-256’s n is accepted for secp256k1 but refused for P-256', () => {
    const pn = CURVE_ORDER.p256; // P-256 n < secp256k1 n
    expect(() => derToCompact(der(5n, pn), 'secp256k1')).not.toThrow();
    expect(() => derToCompact(der(5n, pn), 'p256')).toThrow(/s is not below the p256 group order/);
  });
});

describe('low-S', () => {
  it('normalises a high-S secp256k1 signature into one Taquito accepts, while Taquito and our verifier refuse the high-S original', () => {
    const pk = encodePublicKey(secretKeyPublicKey(SECP));
    for (let i = 0; i < 10; i++) {
      const msg = Uint8Array.of(0x03, i, i * 7);
      const low = signWithSecretKey(msg, SECP).bytes;
      const high = twin('secp256k1', low);
      expect(isHighS(low, 'secp256k1')).toBe(false);
      expect(isHighS(high, 'secp256k1')).toBe(true);
      expect(taquitoVerify(toHex(msg), pk, encodeSignature('secp256k1', high))).toBe(false);
      expect(verifySignature(msg, pk, encodeSignature('secp256k1', high))).toBe(false);
      const fixed = normalizeLowS(high, 'secp256k1');
      expect(toHex(fixed)).toBe(toHex(low));
      expect(taquitoVerify(toHex(msg), pk, encodeSignature('secp256k1', fixed))).toBe(true);
      expect(verifySignature(msg, pk, encodeSignature('secp256k1', fixed))).toBe(true);
    }
  });

  it('accepts both S forms of a P-256 signature, as Octez (HACL) and Taquito do, and normalises to the low one', () => {
    const pk = encodePublicKey(secretKeyPublicKey(P256));
    const low = signWithSecretKey(MSG, P256).bytes;
    const high = twin('p256', low);
    expect(isHighS(high, 'p256')).toBe(true);
    expect(taquitoVerify(toHex(MSG), pk, encodeSignature('p256', high))).toBe(true);
    expect(verifySignature(MSG, pk, encodeSignature('p256', high))).toBe(true);
    expect(toHex(normalizeLowS(high, 'p256'))).toBe(toHex(low));
  });

  it('leaves a low-S signature as it is', () => {
    const low = signWithSecretKey(MSG, SECP).bytes;
    expect(toHex(normalizeLowS(low, 'secp256k1'))).toBe(toHex(low));
  });
});

describe('verifySignature', () => {
  const cases = [
    ['ed25519', ED],
    ['secp256k1', SECP],
    ['p256', P256],
  ] as const;

  it.each(cases)('%s: accepts the curve-specific, generic and raw forms, and refuses a changed message or signature', (curve, sk) => {
    const pk = secretKeyPublicKey(sk);
    const sig = signWithSecretKey(MSG, sk).bytes;
    expect(verifySignature(MSG, pk, encodeSignature(curve, sig))).toBe(true);
    expect(verifySignature(MSG, encodePublicKey(pk), encodeGenericSignature(sig))).toBe(true);
    expect(verifySignature(MSG, pk, sig)).toBe(true);
    expect(verifySignature(Uint8Array.of(0x03, 0xde, 0xad, 0xbe, 0xee), pk, sig)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[10]! ^= 1;
    expect(verifySignature(MSG, pk, flipped)).toBe(false);
    expect(verifySignature(MSG, pk, sig.subarray(0, 63))).toBe(false);
  });

  it('gives false when the signature prefix names another curve than the key', () => {
    const sig = signWithSecretKey(MSG, SECP).bytes;
    expect(verifySignature(MSG, secretKeyPublicKey(SECP), encodeSignature('p256', sig))).toBe(false);
  });

  it('refuses r or s out of range rather than reducing them', () => {
    const pk = secretKeyPublicKey(P256);
    const sig = signWithSecretKey(MSG, P256).bytes;
    const n = CURVE_ORDER.p256;
    const rPlusN = bytesToBigInt(sig.subarray(0, 32)) + n;
    if (rPlusN < 2n ** 256n) expect(verifySignature(MSG, pk, concatBytes(bigIntToBytes(rPlusN, 32), sig.subarray(32)))).toBe(false);
    expect(verifySignature(MSG, pk, concatBytes(new Uint8Array(32), sig.subarray(32)))).toBe(false);
  });

  it('parses every signature prefix to its curve, generic to none', () => {
    const raw = new Uint8Array(64).fill(1);
    expect(parseSignature(b58Encode('edsig', raw)).curve).toBe('ed25519');
    expect(parseSignature(b58Encode('spsig1', raw)).curve).toBe('secp256k1');
    expect(parseSignature(b58Encode('p2sig', raw)).curve).toBe('p256');
    expect(parseSignature(b58Encode('BLsig', new Uint8Array(96))).curve).toBe('bls');
    expect(parseSignature(b58Encode('sig', raw)).curve).toBeUndefined();
    expect(() => parseSignature('edpkv45regue1bWtuHnCgLU8xWKLwa9qRqv4gimgJKro4LSc3C5VjV')).toThrow(/expected prefix/);
  });
});

describe("createDigestVerifier (ECDSA: one-shot for a key's first 32 checks, then with a cached table for its point)", () => {
  it.each([
    ['secp256k1', SECP],
    ['p256', P256],
  ] as const)('%s: agrees with noble verify on valid, high-S, tampered, foreign and out-of-range signatures', (curve, sk) => {
    const pk = secretKeyPublicKey(sk);
    const verify = createDigestVerifier(pk);
    const ec = ecdsaCurve(curve);
    const n = CURVE_ORDER[curve];
    const other = signWithSecretKey(MSG, curve === 'p256' ? SECP : P256).bytes;
    const reference = (d: Uint8Array, sig: Uint8Array): boolean => {
      try {
        return ec.verify(sig, d, pk.bytes, { lowS: curve === 'secp256k1', prehash: false, format: 'compact' });
      } catch {
        return false; // noble throws on r or s out of range
      }
    };
    let accepted = 0;
    for (let i = 0; i < 24; i++) {
      const msg = Uint8Array.of(0x03, i, i * 7, 0xff - i);
      const d = blake2b256(msg);
      const sig = signWithSecretKey(msg, sk).bytes;
      const flipped = Uint8Array.from(sig);
      flipped[i]! ^= 1 << (i % 8);
      const wrongDigest = Uint8Array.from(d);
      wrongDigest[31 - i]! ^= 0x80;
      const rPlusN = bytesToBigInt(sig.subarray(0, 32)) + n;
      const candidates: [Uint8Array, Uint8Array][] = [
        [d, sig],
        [d, twin(curve, sig)],
        [d, flipped],
        [wrongDigest, sig],
        [d, other],
        [d, concatBytes(new Uint8Array(32), sig.subarray(32))],
        [d, concatBytes(sig.subarray(0, 32), bigIntToBytes(n, 32))],
        ...(rPlusN < 2n ** 256n ? [[d, concatBytes(bigIntToBytes(rPlusN, 32), sig.subarray(32))] as [Uint8Array, Uint8Array]] : []),
      ];
      for (const [digest, s] of candidates) {
        const ours = verify(digest, s);
        expect([toHex(digest), toHex(s), ours]).toEqual([toHex(digest), toHex(s), reference(digest, s)]);
        if (ours) accepted++;
      }
      expect(verify(d, sig)).toBe(true);
      expect(verify(d, twin(curve, sig))).toBe(curve === 'p256');
    }
    expect(accepted).toBe(curve === 'p256' ? 48 : 24);
  });

  it.each(['secp256k1', 'p256'] as const)(
    '%s: accepts a signature whose point R has x >= n (r = x - n), as noble does, and refuses r = x',
    (curve) => {
      // Built backwards, as no random signature would ever hit it (x >= n has probability ~2^-128):
      // pick a curve point R with x in [n, p), s = 1 and a digest e, then solve R = e·G + r·Q for Q.
      const { Point } = ecdsaCurve(curve);
      const { Fp, Fn } = Point;
      const n = CURVE_ORDER[curve];
      let R: InstanceType<typeof Point> | undefined;
      for (let x = n + 1n; R === undefined; x++) {
        try {
          R = Point.fromBytes(concatBytes(Uint8Array.of(0x02), bigIntToBytes(x, 32)));
        } catch {
          // x^3 + ax + b is not a square: try the next x
        }
      }
      expect(R.x >= n && R.x < Fp.ORDER).toBe(true);
      const r = R.x - n;
      const e = 0x1234567890abcdefn;
      const Q = R.subtract(Point.BASE.multiply(e)).multiply(Fn.inv(r));
      const pk = { curve, bytes: Q.toBytes(true) } as const;
      const digest = bigIntToBytes(e, 32);
      const sig = concatBytes(bigIntToBytes(r, 32), bigIntToBytes(1n, 32));
      expect(ecdsaCurve(curve).verify(sig, digest, pk.bytes, { prehash: false, lowS: false, format: 'compact' })).toBe(true);
      expect(createDigestVerifier(pk)(digest, sig)).toBe(true);
      expect(createDigestVerifier(pk)(digest, concatBytes(bigIntToBytes(r + 1n, 32), bigIntToBytes(1n, 32)))).toBe(false);
    },
  );

  it('accepts a digest whose integer is at or above the group order (reduced mod n, as SEC 1 says)', () => {
    const pk = secretKeyPublicKey(P256);
    const ec = ecdsaCurve('p256');
    const priv = P256.bytes;
    const verify = createDigestVerifier(pk);
    for (const d of [new Uint8Array(32).fill(0xff), bigIntToBytes(CURVE_ORDER.p256, 32), bigIntToBytes(CURVE_ORDER.p256 + 5n, 32)]) {
      const sig = ec.sign(d, priv, { prehash: false }).toBytes('compact');
      expect(verify(d, sig)).toBe(true);
      expect(verify(bigIntToBytes(bytesToBigInt(d) - 1n, 32), sig)).toBe(false);
    }
  });
});
