import type { VaultConfig } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import { AwsKmsVault, type KmsClientOptions } from '@signatory-ts/vault-awskms';

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

/**
 * The KMS client settings for generate and import: the SDK's standard retries with a few more
 * attempts, since import and listing run into KMS's low per-second quotas
 * (GetParametersForImport 0.25/s, GetPublicKey 5/s).
 */
export const KEY_MANAGEMENT_CLIENT: KmsClientOptions = { maxAttempts: 5 };
