import type { VaultConfig } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import { AwsKmsVault } from '@signatory-ts/vault-awskms';

export interface OpenVaultOptions {
  /** Parallel public-key reads while listing. */
  readonly listConcurrency?: number;
  /** Time allowed for one KMS call including retries (ms). */
  readonly deadlineMs?: number;
}

/** The vault for one `vaults.<name>` entry (awskms is the only driver config accepts). */
export function openVault(config: VaultConfig, log: (message: string) => void, options: OpenVaultOptions = {}): Vault {
  return new AwsKmsVault({ ...config.config, ...options, log });
}
