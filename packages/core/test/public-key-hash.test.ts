import { InMemorySigner } from '@taquito/signer';
import { b58Encode } from '../src/base58';
import { publicKeyHash } from '../src/public-key-hash';

describe('publicKeyHash', () => {
  it.each([
    // client key from Go Signatory's authentication example, and the secret-key-derived key of its watermark tests
    ['edpkujLb5ZCZ2gprnRzE9aVHKZfx9A8EtWu2xxkwYSjBUJbesJ9rWE', 'tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW'],
  ])('hashes %s to %s', (pk, pkh) => {
    expect(publicKeyHash(pk)).toBe(pkh);
  });

  it('agrees with Taquito for generated keys of every curve', async () => {
    const secret = new Uint8Array(32).fill(7);
    for (const sk of ['edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y', b58Encode('spsk', secret), b58Encode('p2sk', secret)]) {
      const s = new InMemorySigner(sk);
      expect(publicKeyHash(await s.publicKey())).toBe(await s.publicKeyHash());
    }
  });

  it('refuses a public key hash and names the expected prefixes', () => {
    expect(() => publicKeyHash('tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW')).toThrow(/expected prefix \(edpk, sppk, p2pk, BLpk\)/);
  });
});
