import { orList, SignatoryError } from '@signatory-ts/core';
import { createKmsClient, generateKey, KEY_SPEC_BY_TYPE, type KmsKeyType } from '@signatory-ts/vault-awskms';
import { loadContext, vaultConfig, type GlobalOptions } from '../context';
import { line } from '../key-record';
import type { Out } from '../output';
import { KEY_MANAGEMENT_CLIENT } from '../vaults';

export interface GenerateOptions extends GlobalOptions {
  vault: string;
  type: string;
  alias?: string;
}

/**
 * `signatory-cli generate --vault NAME --type tz1|tz2|tz3 [--alias A]`: a new KMS signing key of
 * the matching spec; prints its address, public key and ARN, then the `tezos:` YAML to paste.
 */
export async function generate(opts: GenerateOptions, out: Out = process.stdout): Promise<void> {
  if (!Object.hasOwn(KEY_SPEC_BY_TYPE, opts.type)) {
    const why = opts.type === 'tz4' || opts.type === 'bls' ? ' (AWS KMS has no BLS12-381, so no tz4 keys)' : '';
    throw new SignatoryError(
      'bad_request',
      `--type must be ${orList(Object.keys(KEY_SPEC_BY_TYPE))}, got ${JSON.stringify(opts.type)}${why}`,
    );
  }
  const ctx = await loadContext(opts);
  const client = createKmsClient(vaultConfig(ctx.config, opts.vault, 'generate'), KEY_MANAGEMENT_CLIENT);
  try {
    const made = await generateKey(
      client,
      { type: opts.type as KmsKeyType, ...(opts.alias !== undefined ? { alias: opts.alias } : {}) },
      (msg, fields) => ctx.log.debug(msg, fields),
    );
    ctx.log.info('generated key', { pkh: made.pkh, vault: opts.vault, keyId: made.keyId });
    out.write(
      line('Public Key Hash', made.pkh) +
        line('Public Key', made.publicKey) +
        line('Reference', made.keyId) +
        (made.alias ? line('Alias', made.alias) : '') +
        `\n# add to ${ctx.config.file} (no value = the default block, preattestation, attestation policy):\ntezos:\n  ${made.pkh}:\n`,
    );
  } finally {
    client.destroy();
  }
}
