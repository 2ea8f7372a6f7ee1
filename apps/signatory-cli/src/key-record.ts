import { DEFAULT_ALLOWED_REQUESTS } from '@signatory-ts/core';

/** A key as `list` shows it: what the vault says about it plus what the config allows it. */
export interface KeyRecord {
  pkh: string;
  publicKey: string;
  /** The vault's reference (KMS key ARN). */
  reference: string;
  /** Vault display name (`AWSKMS`), not the YAML vault name. */
  vault: string;
  /** Listed under `tezos:` in the config. */
  active: boolean;
  /** Present when active. */
  allowedRequests?: readonly string[];
  allowedOperations?: readonly string[];
  allowProofOfPossession?: boolean;
}

/** The slice of a `tezos.<pkh>` policy `list` prints (config's KeyPolicyConfig fits it). */
export interface PolicyView {
  readonly allowedRequests: readonly string[];
  readonly allowedOperations: readonly string[];
  readonly allowProofOfPossession: boolean;
}

/**
 * Joins a key with its policy. `undefined`: not in `tezos:` (inactive). `null`: listed with no
 * value, so the default policy, printed in Signatory's (unsorted) order.
 */
export function keyRecord(
  key: { pkh: string; publicKey: string; id: string; vault: string },
  policy: PolicyView | null | undefined,
): KeyRecord {
  const base = { pkh: key.pkh, publicKey: key.publicKey, reference: key.id, vault: key.vault };
  if (policy === undefined) return { ...base, active: false };
  const p = policy ?? { allowedRequests: DEFAULT_ALLOWED_REQUESTS, allowedOperations: [], allowProofOfPossession: false };
  return {
    ...base,
    active: true,
    allowedRequests: [...p.allowedRequests],
    allowedOperations: [...p.allowedOperations],
    allowProofOfPossession: p.allowProofOfPossession,
  };
}

/** Go's `%v` of a string slice: `[a b c]`, `[]` when empty. */
function goSlice(items: readonly string[] | undefined): string {
  return `[${(items ?? []).join(' ')}]`;
}

const LABEL_WIDTH = 27;
/** One `Label:   value` line of the block format. */
export const line = (label: string, value: string) => `${`${label}:`.padEnd(LABEL_WIDTH)}${value}\n`;

/** Signatory's `list` block: labels padded so values start at column 28, a blank line after the record. */
export function formatKeyRecord(r: KeyRecord): string {
  let s =
    line('Public Key Hash', r.pkh) +
    line('Public Key', r.publicKey) +
    line('Reference', r.reference) +
    line('Vault', r.vault) +
    line('Active', String(r.active));
  if (r.active) {
    s +=
      line('Allowed Requests', goSlice(r.allowedRequests)) +
      line('Allowed Operations', goSlice(r.allowedOperations)) +
      line('Allow Proof of Possession', String(r.allowProofOfPossession ?? false));
  }
  return s + '\n';
}
