import { SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  blake2b256,
  createDigestVerifier,
  derToCompact,
  encodePublicKey,
  encodeSignature,
  normalizeLowS,
  pkhOf,
  SignatoryError,
  type DigestVerifier,
  type KeyRef,
  type PublicKey,
} from '@signatory-ts/core';
import { callWithRetry, type RetryOptions } from './call-with-retry';
import { sendAbortable } from './create-kms-client';
import { KmsCallFailed, toSignatoryError } from './kms-failure';
import { SIGNING_BY_KEY_SPEC } from './key-spec';

/** What signing needs from the vault: the client and how to retry. */
export interface KmsSigningContext {
  readonly client: KMSClient;
  readonly retry: RetryOptions;
  readonly region?: string;
  readonly endpoint?: string;
}

/**
 * One KMS key that holds a Tezos key. The public key was read once (GetPublicKey) and is kept;
 * every signature KMS returns is normalised (low-S for ECDSA) and verified against it before it
 * is released. A signature that fails either step is an error, never returned.
 */
export class AwsKmsKey implements KeyRef {
  readonly vault = 'AWSKMS';
  readonly pkh: string;
  readonly publicKey: string;
  /** Built on first use: listing many keys never pays for verifiers it does not need. */
  private verifier?: DigestVerifier;
  private readonly signing: (typeof SIGNING_BY_KEY_SPEC)[string];

  constructor(
    private readonly ctx: KmsSigningContext,
    /** key ARN */
    readonly id: string,
    readonly keySpec: string,
    readonly key: PublicKey,
    /** `alias/...` names pointing at the key (may be empty). */
    readonly aliases: readonly string[],
  ) {
    const signing = SIGNING_BY_KEY_SPEC[keySpec];
    if (signing === undefined || signing.curve !== key.curve)
      throw new TypeError(`key spec ${keySpec} does not match a ${key.curve} public key`);
    this.signing = signing;
    this.pkh = pkhOf(key);
    this.publicKey = encodePublicKey(key);
  }

  get curve() {
    return this.key.curve;
  }

  /** sign() settles within the KMS deadline, retries included (callWithRetry keeps it): the signer adds none. */
  get deadlineMs(): number {
    return this.ctx.retry.deadlineMs;
  }

  /** Signs the whole request (watermark byte included); returns edsig / spsig1 / p2sig. */
  async sign(message: Uint8Array): Promise<string> {
    const digest = blake2b256(message);
    const { algorithm, messageType, curve } = this.signing;
    let returned: Uint8Array;
    try {
      const r = await callWithRetry(
        { operation: 'Sign', keyId: this.id, region: this.ctx.region, endpoint: this.ctx.endpoint },
        this.ctx.retry,
        (abortSignal) =>
          sendAbortable(
            this.ctx.client,
            new SignCommand({ KeyId: this.id, Message: digest, MessageType: messageType, SigningAlgorithm: algorithm }),
            abortSignal,
          ),
      );
      if (r.Signature === undefined) throw new SignatoryError('vault_unavailable', `KMS Sign returned no signature for ${this.id}`);
      returned = r.Signature;
    } catch (e) {
      throw e instanceof KmsCallFailed ? toSignatoryError(e) : e;
    }
    let raw: Uint8Array;
    if (curve === 'ed25519') {
      if (returned.length !== 64) throw this.refused(`an Ed25519 signature of ${returned.length} bytes (64 expected)`);
      raw = returned;
    } else {
      try {
        raw = normalizeLowS(derToCompact(returned, curve as 'secp256k1' | 'p256'), curve as 'secp256k1' | 'p256');
      } catch (e) {
        throw this.refused(`a malformed DER signature (${(e as Error).message})`);
      }
    }
    this.verifier ??= createDigestVerifier(this.key);
    if (!this.verifier(digest, raw)) throw this.refused('a signature that does not verify against the key’s public key');
    return encodeSignature(curve, raw);
  }

  private refused(what: string): SignatoryError {
    return new SignatoryError(
      'vault_unavailable',
      `KMS returned ${what} for ${this.id} (${this.pkh}); it was not used. Retry; if it persists, check the key and the KMS endpoint`,
    );
  }
}
