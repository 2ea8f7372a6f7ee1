import type { VaultConfig } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import { AwsKmsVault } from '@signatory-ts/vault-awskms';

/** The vault for one `vaults.<name>` entry (awskms is the only driver config accepts). */
export function openVault(config: VaultConfig, log: (message: string) => void): Vault {
  return new AwsKmsVault({ ...config.config, log });
}
