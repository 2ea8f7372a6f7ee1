/**
 * What a vault gives the signer. A vault lists the keys it holds; each usable key can sign the
 * full request bytes (watermark byte included) and returns a Tezos signature it has already
 * verified against its public key. Keys a vault cannot use are listed with the reason, so one
 * bad key never stops the vault.
 */

/** A public key as the signer keeps it: curve, raw bytes (compressed for EC) and its base58 forms. */
export interface KeyIdentity {
  /** tz1 / tz2 / tz3 / tz4 */
  readonly pkh: string;
  /** edpk / sppk / p2pk / BLpk */
  readonly publicKey: string;
}

export interface KeyRef extends KeyIdentity {
  /** Vault display name as `list` prints it, e.g. `AWSKMS`. */
  readonly vault: string;
  /** The vault's own reference for the key (for AWS KMS: the key ARN). */
  readonly id: string;
  /**
   * When set, `sign` settles (answers or fails) within this many ms on its own: the vault keeps the
   * call's one deadline, and the signer adds none. Unset: the signer bounds the call with its own.
   */
  readonly deadlineMs?: number;
  /** Signs `message` (the whole request) and returns the base58 signature (edsig / spsig1 / p2sig). */
  sign(message: Uint8Array): Promise<string>;
}

export type Listed = { ok: true; key: KeyRef } | { ok: false; id: string; reason: string };

export interface Vault {
  /** Display name (`AWSKMS`). */
  readonly name: string;
  list(): AsyncIterable<Listed>;
  /** Resolves when the vault's backend answers; rejects with a reason when it does not. */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}
