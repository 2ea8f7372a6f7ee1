import type { AwsKmsVaultConfig } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';

/** The vault for a `vaults.<name>` entry. */
export function openVault(name: string, config: AwsKmsVaultConfig): Vault {
  void name;
  void config;
  throw new Error('not yet');
}
