import { InMemorySigner } from '@taquito/signer';
import { getPkhfromPk } from '@taquito/utils';
import { ADDRESSES, TZ1_KEY, TZ1_SEED_KEY, TZ2_KEY, TZ3_KEY } from '../src';

// Taquito (an independent implementation) derives what each test key is written with.
describe('test keys', () => {
  it.each([
    ['TZ1_KEY', TZ1_KEY],
    ['TZ1_SEED_KEY', TZ1_SEED_KEY],
    ['TZ1_SEED_KEY (64-byte form)', { ...TZ1_SEED_KEY, sk: TZ1_SEED_KEY.sk64 }],
    ['TZ3_KEY', TZ3_KEY],
  ])('%s: the secret key gives the public key and address beside it', async (_name, key) => {
    const signer = await InMemorySigner.fromSecretKey(key.sk);
    expect(await signer.publicKey()).toBe(key.pk);
    expect(await signer.publicKeyHash()).toBe(key.pkh);
  });

  it('TZ2_KEY: the secret key gives the address beside it', async () => {
    expect(await (await InMemorySigner.fromSecretKey(TZ2_KEY.sk)).publicKeyHash()).toBe(TZ2_KEY.pkh);
  });

  it('ADDRESSES.keyPk is the public key of ADDRESSES.key', () => {
    expect(getPkhfromPk(ADDRESSES.keyPk)).toBe(ADDRESSES.key);
  });
});
