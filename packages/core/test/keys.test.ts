import { generateKeyPairSync, createPrivateKey, createPublicKey } from 'node:crypto';
import { b58DecodePublicKeyHash, getPkhfromPk, verifySignature as taquitoVerify } from '@taquito/utils';
import { toHex } from '../src/bytes';
import { isSignatoryError } from '../src/errors';
import {
  encodePublicKey,
  encodePublicKeyTagged,
  parsePublicKey,
  parsePublicKeyHash,
  parsePublicKeyTagged,
  pkhOf,
  pkhTagged,
  publicKeyFromSpki,
} from '../src/public-key';
import {
  encodeSecretKey,
  isEncryptedSecretKey,
  parseSecretKey,
  secretKeyPublicKey,
  secretKeyToPkcs8,
  signWithSecretKey,
  wipe,
  type SecretKey,
} from '../src/secret-key';
import { b58Encode } from '../src/base58';

/** Secret key -> public key -> address, from Go Signatory's tests and pytezos/Octez vectors. */
const KEY_VECTORS = [
  [
    'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd',
    'edpkv45regue1bWtuHnCgLU8xWKLwa9qRqv4gimgJKro4LSc3C5VjV',
    'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q',
  ],
  [
    'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci',
    'p2pk65pxFqFj1N66zRRQtdbEJWHMH5hRv4WsRkaGWQJtZ5bv8nVx6Dg',
    'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK',
  ],
  [
    'spsk1XYsTqUsd7LaLs9a8qpmCvLVJeLEZEXkeAZS5dwcKgUZhv3cYw',
    'sppk7cvVVMRRtYTdriTB6KQqpXZt9TUwSTcpMWq4FwpvG2eVZ56UuHP',
    'tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN',
  ],
] as const;

/** Octez encrypted keys (Go Signatory import tests) with their password and public key. */
const ENCRYPTED_VECTORS = [
  [
    'edesk1zxaPJkhNGSzgZDDSphvPzSNrnbmqes8xzUrw1wdFxdRT7ePiQz8D2Q18fMjn6fC9ZRS2rUbg8d8snxxznE',
    'qqq',
    'edpktmNJub2v7tVjSU8nA9jZrdV5JezmFtZA4yd3jj18i6VKcCJzdo',
  ],
  [
    'spesk21cruoqtYmxfq5fpkXiZZRLRw4vh7VFJauGCAgHxZf3q6Q5LTv9m9dnMxyVjna6RzWQL45q4ppGLh97xZpV',
    'qqq',
    'sppk7Zbcqfy67b6pRMAKax5QKzAxTQUxmfQcCuvn1QMFQsXqy1NkSkz',
  ],
  [
    'p2esk1rqdHRPz4xQh8uP8JaWSVnGFTKxkh2utdjK5CPDTXAzzh5sXnnobLkGrXEZzGhCKFDSjv8Ggrjt7PnobRzs',
    'qqq',
    'p2pk68Ky2h9UZZ4jUYws8mU8Cazhu4H1LdK22wD8HgDPRSvsJPBDtJ7',
  ],
  [
    'edesk1tN9p8BakkvZPz2DGAf9oAmxnhx5mFGSe7uVhNdz12Y7Mk2qNtzNaSE2pAwJA1pK9DUSQf1QV5fJeikP19U',
    'test',
    'edpkvRVsYXVd4AGtuxtNvioCD8UjBYDPUUsi2mCD4ReKHtS1HL4Xmp',
  ],
] as const;

describe('secret keys', () => {
  it.each(KEY_VECTORS)('%s gives %s and %s', (sk, pk, pkh) => {
    const key = secretKeyPublicKey(parseSecretKey(sk));
    expect(encodePublicKey(key)).toBe(pk);
    expect(pkhOf(key)).toBe(pkh);
  });

  it('reads the 54- and 98-character edsk forms of the same key alike', () => {
    const seed = parseSecretKey('edsk3nM41ygNfSxVU4w1uAW3G9EnTQEB5rjojeZedLTGmiGRcierVv');
    const pk = secretKeyPublicKey(seed);
    const long = b58Encode('edsk64', Uint8Array.from([...seed.bytes, ...pk.bytes]));
    expect(long).toHaveLength(98);
    expect(toHex(parseSecretKey(long).bytes)).toBe(toHex(seed.bytes));
  });

  it('refuses a 98-character edsk whose public half is not its seed’s', () => {
    const seed = parseSecretKey('edsk3nM41ygNfSxVU4w1uAW3G9EnTQEB5rjojeZedLTGmiGRcierVv');
    const other = secretKeyPublicKey(parseSecretKey(KEY_VECTORS[0][0]));
    const bad = b58Encode('edsk64', Uint8Array.from([...seed.bytes, ...other.bytes]));
    expect(() => parseSecretKey(bad)).toThrow(/damaged/);
  });

  it.each(ENCRYPTED_VECTORS)('decrypts %s with its password', (esk, password, pk) => {
    expect(isEncryptedSecretKey(esk)).toBe(true);
    expect(encodePublicKey(secretKeyPublicKey(parseSecretKey(esk, password)))).toBe(pk);
  });

  it.each(ENCRYPTED_VECTORS)('refuses %s with a wrong password, saying so, without key material in the message', (esk, password) => {
    let err: unknown;
    try {
      parseSecretKey(esk, password + 'x');
    } catch (e) {
      err = e;
    }
    expect(isSignatoryError(err) && err.code).toBe('bad_request');
    expect((err as Error).message).toMatch(/wrong password/);
    expect((err as Error).message).not.toContain(esk.slice(5, 20));
  });

  it('asks for a password instead of guessing when an encrypted key comes without one', () => {
    expect(() => parseSecretKey(ENCRYPTED_VECTORS[0][0])).toThrow(/encrypted: a password is needed/);
  });

  it.each(['ed25519', 'secp256k1', 'p256'] as const)('encrypts a %s key so that it decrypts to the same key', (curve) => {
    const sk: SecretKey = { curve, bytes: new Uint8Array(32).fill(9) };
    const text = encodeSecretKey(sk, 'pw');
    expect(text).toHaveLength(88);
    expect(toHex(parseSecretKey(text, 'pw').bytes)).toBe(toHex(sk.bytes));
    expect(() => parseSecretKey(text, 'pW')).toThrow(/wrong password/);
  });

  it.each([
    ['zero spsk scalar', b58Encode('spsk', new Uint8Array(32)), /not a valid scalar/],
    ['p2sk scalar above the order', b58Encode('p2sk', new Uint8Array(32).fill(0xff)), /not a valid scalar/],
    ['public key given as secret', 'edpkv45regue1bWtuHnCgLU8xWKLwa9qRqv4gimgJKro4LSc3C5VjV', /not a Tezos secret key/],
    ['bad checksum', 'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSne', /not a Tezos secret key/],
    ['BLS secret', 'BLsk2zk6pBGysG9BJn4u3XNtFnJQ1wpUYz6sQMTZQdfxQaiBWkqLyh', /BLS/],
  ])('refuses a %s', (_name, text, message) => {
    expect(() => parseSecretKey(text)).toThrow(message);
  });

  it('wipe zero-fills every buffer', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4]);
    wipe(a, undefined, b);
    expect([...a, ...b]).toEqual([0, 0, 0, 0]);
  });
});

describe('signWithSecretKey', () => {
  // Taquito signer spec: sign 0x031234 (blake2b-256 digest), deterministic (ed25519; RFC 6979 + low-S for ECDSA).
  it.each([
    [
      'spsk2rBDDeUqakQ42nBHDGQTtP3GErb6AahHPwF9bhca3Q5KA5HESE',
      'sigREwM1SuRN5WzjH5xGJuyeZQ9kWi8XtbA4wRqGTumJwNY18PmF1XQMLCXEQBr4frnriKHWdPUynF1vGUvPcoWrNjb3s5xp',
    ],
    [
      'p2sk2obfVMEuPUnadAConLWk7Tf4Dt3n4svSgJwrgpamRqJXvaYcg1',
      'sigRUobRZ4oG7CvdtQfNoDe3Gqn8zrLw6RXjXVa84rX3HMzWuCuncWgDqY8wRkssofLUsfbdR6MNGJzDWaNXEwTxDktfrKmj',
    ],
    [
      'edsk4TjJWEszkHKono7XMnepVqwi37FrpbVt1KCsifJeAGimxheShG',
      'sigpKAnfQGzG4Rk5pV7z9mx2TL9veQCHD7qN4PhsUZMj1BqsumBoApBS9Ue616vKVymxrzfZE2L4h27zzxRUVy6BNPRMpufb',
    ],
  ])('reproduces Taquito’s signature for %s', (sk, sig) => {
    expect(b58Encode('sig', signWithSecretKey(Uint8Array.of(0x03, 0x12, 0x34), parseSecretKey(sk)).bytes)).toBe(sig);
  });

  // pytezos crypto tests (Octez-generated): sign "test".
  it.each([
    [
      'edsk3nM41ygNfSxVU4w1uAW3G9EnTQEB5rjojeZedLTGmiGRcierVv',
      'edsigtzLBGCyadERX1QsYHKpwnxSxEYQeGLnJGsSkHEsyY8vB5GcNdnvzUZDdFevJK7YZQ2ujwVjvQZn62ahCEcy74AwtbA8HuN',
      'edsig',
    ],
    [
      'spsk1zkqrmst1yg2c4xi3crWcZPqgdc9KtPtb9SAZWYHAdiQzdHy7j',
      'spsig1RriZtYADyRhyNoQMa6AiPuJJ7AUDcrxWZfgqexzgANqMv4nXs6qsXDoXcoChBgmCcn2t7Y3EkJaVRuAmNh2cDDxWTdmsz',
      'spsig1',
    ],
  ] as const)('reproduces the Octez signature for %s', (sk, sig, prefix) => {
    expect(b58Encode(prefix, signWithSecretKey(Buffer.from('test'), parseSecretKey(sk)).bytes)).toBe(sig);
  });
});

describe('public keys', () => {
  it.each(KEY_VECTORS)('round-trips %s through base58 and tagged binary, and hashes like Taquito', (_sk, pk, pkh) => {
    const key = parsePublicKey(pk);
    expect(encodePublicKey(key)).toBe(pk);
    expect(encodePublicKey(parsePublicKeyTagged(encodePublicKeyTagged(key)))).toBe(pk);
    expect(getPkhfromPk(pk)).toBe(pkh);
    expect(toHex(pkhTagged(key))).toBe(b58DecodePublicKeyHash(pkh));
    expect(parsePublicKeyHash(pkh).curve).toBe(key.curve);
  });

  it('refuses an sppk whose x is not on the curve', () => {
    const x = new Uint8Array(33).fill(0);
    x[0] = 0x02;
    x[32] = 7; // x = 7: 7^3 + 7 = 350 is not a square mod p
    expect(() => parsePublicKey(b58Encode('sppk', x))).toThrow(/not a point on the curve/);
  });

  it('refuses an unknown tag and a tagged key with trailing bytes', () => {
    expect(() => parsePublicKeyTagged(Uint8Array.of(7, 1, 2))).toThrow(/unknown public key tag 7/);
    const tagged = encodePublicKeyTagged(parsePublicKey(KEY_VECTORS[0][1]));
    expect(() => parsePublicKeyTagged(Uint8Array.from([...tagged, 0]))).toThrow(/must be 32 bytes, got 33/);
  });

  it.each([
    ['ed25519', () => generateKeyPairSync('ed25519')],
    ['secp256k1', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' })],
    ['p256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
  ] as const)('reads the SPKI of a node-generated %s key to the address of its secret', (curve, generate) => {
    for (let i = 0; i < 8; i++) {
      const { publicKey, privateKey } = generate();
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      const pk = publicKeyFromSpki(spki);
      const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
      const fromSecret = secretKeyPublicKey({ curve, bytes: d });
      expect(pk.curve).toBe(curve);
      expect(pkhOf(pk)).toBe(pkhOf(fromSecret));
      expect(getPkhfromPk(encodePublicKey(pk))).toBe(pkhOf(pk));
    }
  });

  it.each(['secp256k1', 'prime256v1'] as const)('refuses a %s SPKI whose point is off the curve', (namedCurve) => {
    const spki = Buffer.from(generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'der', type: 'spki' }));
    spki[spki.length - 1] = spki[spki.length - 1]! ^ 1; // y changed: no longer on the curve
    expect(() => publicKeyFromSpki(spki)).toThrow(/not a point on the curve/);
  });

  it('names the algorithm of an SPKI it cannot use', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => publicKeyFromSpki(rsa)).toThrow(/public key is RSA, not Ed25519, secp256k1 or P-256/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => publicKeyFromSpki(p384)).toThrow(/EC P-384/);
    expect(() => publicKeyFromSpki(Uint8Array.of(0x30, 0x00))).toThrow(/not a DER SubjectPublicKeyInfo/);
  });

  it.each(['ed25519', 'secp256k1', 'p256'] as const)(
    'exports a %s secret as PKCS#8 that node reads back to the same public key',
    (curve) => {
      const sk: SecretKey = { curve, bytes: new Uint8Array(32).fill(0x42) };
      const pkcs8 = secretKeyToPkcs8(sk);
      const spki = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })).export({
        format: 'der',
        type: 'spki',
      });
      expect(encodePublicKey(publicKeyFromSpki(spki))).toBe(encodePublicKey(secretKeyPublicKey(sk)));
    },
  );

  it('verifies its own signature with Taquito for each curve', () => {
    const msg = Uint8Array.of(0x03, 1, 2, 3);
    for (const [sk, pk] of KEY_VECTORS) {
      const sig = signWithSecretKey(msg, parseSecretKey(sk));
      expect(taquitoVerify(toHex(msg), pk, b58Encode('sig', sig.bytes))).toBe(true);
    }
  });
});
