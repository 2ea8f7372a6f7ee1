/**
 * Public test keys and addresses the package suites share. None of them ever holds funds; each is written
 * once here, so a suite names the key it uses and a reader finds what a literal is. test/test-keys.test.ts
 * checks with Taquito that each secret key gives the public key and address written beside it.
 */

/** A secret key (base58, unencrypted) with the public key and the address (public key hash) it gives. */
export interface TestKey {
  readonly sk: string;
  readonly pk: string;
  readonly pkh: string;
}

/** tz1 (ed25519): the key of Go Signatory's watermark integration tests. */
export const TZ1_KEY: TestKey = {
  sk: 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y',
  pk: 'edpkuFt8yrNyseDKXvMsQ12NTEoqJEnkPQaCp4Kw5WPCEJHr5YV48m',
  pkh: 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf',
};

/** Another tz1 (ed25519) key, written as its 32-byte seed (`sk`) and as the 64-byte secret key (`sk64`). */
export const TZ1_SEED_KEY: TestKey & { readonly sk64: string } = {
  sk: 'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd',
  sk64: 'edskS5DAa5QYnWFCKBiNAjKd9A2V4wMk3kJgAzMUZtYHi7oab8FxBo32wBqMJggTCUoR2t6csEjHosqbkKSo7A3fgqan1fa7Ja',
  pk: 'edpkv45regue1bWtuHnCgLU8xWKLwa9qRqv4gimgJKro4LSc3C5VjV',
  pkh: 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q',
};

/** tz2 (secp256k1). */
export const TZ2_KEY: Omit<TestKey, 'pk'> = {
  sk: 'spsk1XYsTqUsd7LaLs9a8qpmCvLVJeLEZEXkeAZS5dwcKgUZhv3cYw',
  pkh: 'tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN',
};

/** tz3 (P-256). */
export const TZ3_KEY: TestKey = {
  sk: 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci',
  pk: 'p2pk65pxFqFj1N66zRRQtdbEJWHMH5hRv4WsRkaGWQJtZ5bv8nVx6Dg',
  pkh: 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK',
};

/**
 * Addresses the policy and config suites write into allowlists and operations (no secret key is needed):
 * `key` is the configured signing key (its public key `keyPk`), the others are destinations and bakers
 * of every address kind.
 */
export const ADDRESSES = {
  key: 'tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH',
  keyPk: 'edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo',
  alice: 'tz1KuxKxPSnwLiTqZ37LRw6AXUt553ouPvEY',
  bob: 'tz28gUB7pmGR8cVBTBMnDhQma18mWDbp6nyQ',
  baker: 'tz49Tnyc9wsSK8xpmagV1RBkRtGyiDZQSC3P',
  otherBaker: 'tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6',
  token: 'KT18g5SiBpZEhMtyW11tE35UN9EJy2vSb8rC',
  dex: 'KT18mPKf2ZcMZWHT7yDVMARps6DztKHJ2ZVA',
} as const;
